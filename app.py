"""The Gradio chat: literature answers with sources, and patient triage intake.

Run `medchat serve` (or `python app.py`). Private by default: binds to 127.0.0.1, no public
share, no usage analytics, no run history, no flagging, no saved chats; a login when the
settings name a username and password. The page is served at once while the models load in
the background; input checks never wait for them.
"""

from __future__ import annotations

import os
import threading

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry

import gradio as gr  # noqa: E402

from assistant.assistant import Assistant  # noqa: E402
from assistant.settings import Settings, load_settings  # noqa: E402
from ui.intake import intake_tab  # noqa: E402
from ui.literature import literature_tab  # noqa: E402
from ui.models import Models  # noqa: E402

INTRO = (
    "**medchat** answers questions from published medical research, citing the abstracts it "
    "used, and helps patients decide what kind of care they need. It does not diagnose. "
    "In an emergency, call your local emergency number."
)


def build_app(settings: Settings, assistant: Assistant | None = None,
              models: Models | None = None) -> gr.Blocks:
    """The two tabs. `assistant` (or `models`) may be given already loaded; else lazily."""
    models = models or Models(settings, assistant)
    with gr.Blocks(title="medchat", analytics_enabled=False,
                   delete_cache=(300, settings.app.session_minutes * 60)) as demo:
        gr.Markdown(INTRO)
        with gr.Tab("Literature questions", id="literature"):
            literature_tab(models, settings.app.concurrency)
        with gr.Tab("Patient intake", id="intake"):
            intake_tab(models, settings.app.intake_concurrency)
    return demo.queue(max_size=settings.app.queue_size)


def launch_options(settings: Settings) -> dict:
    """`Blocks.launch` arguments: loopback unless told otherwise, never shared, nothing of a
    conversation kept in the browser (run history off), optional login."""
    app = settings.app
    return {
        "server_name": app.host,
        "server_port": app.port,
        "share": False,
        "run_history": False,
        "footer_links": ["api"],
        "auth": (app.username, app.password) if app.username else None,
        "auth_message": "medchat: sign in with the account your administrator gave you.",
        "enable_monitoring": False,
        "mcp_server": False,
        "pwa": False,
        "ssr_mode": False,
        "show_error": False,
        "state_session_capacity": 1000,
    }


def main(settings: Settings | None = None) -> None:
    settings = settings or load_settings()
    models = Models(settings)
    threading.Thread(target=models.warm_up, name="medchat-warm-up", daemon=True).start()
    build_app(settings, models=models).launch(**launch_options(settings))


if __name__ == "__main__":
    main()
