"""How a release's own timeline entries read: its checklist, its artifacts and its waves (registered in
`ReleasesConfig.ready()`)."""

from servicedesk.records.timeline import register_timeline_renderer

MODEL = "releases.Release"
# Each event with its template: the wave's three events read from one.
TEMPLATES = {
    "checklist": "releases/timeline/checklist.html",
    "artifact_added": "releases/timeline/artifact_added.html",
    "artifact_removed": "releases/timeline/artifact_removed.html",
    "artifacts_verified": "releases/timeline/artifacts_verified.html",
    "wave_started": "releases/timeline/wave.html",
    "wave_finished": "releases/timeline/wave.html",
    "wave_held": "releases/timeline/wave.html",
}


def register_release_renderers() -> None:
    for event, template in TEMPLATES.items():
        register_timeline_renderer("system", template, data_type=event, model=MODEL)
