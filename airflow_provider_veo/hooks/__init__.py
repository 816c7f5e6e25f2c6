"""Hooks for the Scenario API: :class:`ScenarioHook` (sync) and :class:`ScenarioAsyncHook` (async)."""
