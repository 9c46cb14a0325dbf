"""Hugging Face Spaces entry: builds and launches the recchat app (same as `recchat serve`)."""

from recchat.app.web import launch

if __name__ == "__main__":
    launch()
