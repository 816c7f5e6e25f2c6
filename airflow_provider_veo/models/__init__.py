"""Typed models shared by the hook, the operators and the emulator."""
