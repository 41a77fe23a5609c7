"""How the assessment's and the emergency CAB's own timeline entries read on a change."""

from servicedesk.records.timeline import register_timeline_renderer

MODEL = "changes.Change"


def register_assessment_renderers() -> None:
    for event in ("assessed", "retro_approval"):
        register_timeline_renderer("system", f"changes/timeline/{event}.html", data_type=event, model=MODEL)
