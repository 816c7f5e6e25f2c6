"""The review gallery: the videos the transfer landed, played from their store, in the Airflow UI.

See docs/gallery.md. Everything here runs in the api-server only.
"""
