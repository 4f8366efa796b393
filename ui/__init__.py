"""The Gradio chat UI's parts: lazy model loading, the literature tab and the patient tab.

`app.py` puts them together and launches them privately (see `app.launch_options`).
"""
