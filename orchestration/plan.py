"""What a refresh has to do: which feeds changed, whether the code did, and so which assets to run.

Belongs here: `plan_refresh()`, called by `levelup run` before Dagster is even imported, so that a run in which
nothing changed answers in seconds. It compares
  - every enabled open feed's source (`ingest.changes.source_states`: the mirror file's sha256, or a
    conditional GET) with the last version an ingest attempt saw;
  - the code fingerprint (`core.fingerprint`: Python, templates, both dbt projects, the registry) with the one
    the current release was built from (its manifest's `inputs`);
  - the custom-area folder and the restricted landing zone;
and returns a `RefreshPlan`: nothing to do; a partial run (the changed feeds' raw assets, custom areas or the
restricted zone, and everything downstream of them); or everything (no release yet, or the code changed). It
also stops a run with no mirror and no network in seconds, naming the unreachable sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.fingerprint import release_inputs
from core.registry import Registry
from core.releases import current_dir, read_manifest
from core.settings import Settings
from ingest.changes import source_states, unreachable_hosts
from ingest.land import FeedStore
from restricted.zone import pending_deliveries


class SourcesUnreachable(RuntimeError):
    """No source can be reached and no mirror is configured."""


@dataclass
class RefreshPlan:
    previous_release: str | None
    everything: bool = False
    changed_feeds: list[str] = field(default_factory=list)
    custom_areas_changed: bool = False
    restricted_pending: bool = False
    source_errors: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)

    def reference_changed(self, registry: Registry) -> bool:
        """A reference feed (geography, populations) changed: every feed's harmonisation may move."""
        return any(registry.get(f).family == "reference" for f in self.changed_feeds)

    @property
    def nothing_changed(self) -> bool:
        return not (
            self.everything or self.changed_feeds or self.custom_areas_changed or self.restricted_pending
        )


def preflight(registry: Registry, settings: Settings) -> None:
    """Refuse at once, with one message, when no source can be read: no mirror and no source host reachable,
    or a mirror setting that is not a directory. Cheap (TCP connects, no download): run it before any work."""
    feeds = registry.open_feeds
    if settings.mirror is None:
        down = unreachable_hosts(feeds, settings.preflight_timeout)
        if down and sum(len(v) for v in down.values()) == len(feeds):
            raise SourcesUnreachable(
                f"none of the {len(feeds)} open sources can be reached (no network?): "
                + "; ".join(f"{h} ({len(ids)} feeds, e.g. {ids[0]})" for h, ids in sorted(down.items()))
                + ". On a machine without internet, read them from a mirror: LEVELUP_MIRROR=<dir> make run "
                "(e.g. LEVELUP_MIRROR=../shared/data)"
            )
    elif not settings.mirror.is_dir():
        raise SourcesUnreachable(f"LEVELUP_MIRROR={settings.mirror} is not a directory")


def plan_refresh(
    registry: Registry, settings: Settings, *, force: bool = False, checked: bool = False
) -> RefreshPlan:
    """What a refresh must rebuild. `checked`: the caller already ran `preflight`."""
    if not checked:
        preflight(registry, settings)
    feeds = registry.open_feeds
    cur = current_dir(settings.releases_dir)
    inputs = release_inputs(settings)
    plan = RefreshPlan(previous_release=cur.name if cur else None, inputs=inputs)
    built_from = (read_manifest(cur).get("inputs") or {}) if cur else {}
    if force:
        plan.everything, plan.reasons = True, ["--force: every asset"]
    elif cur is None:
        plan.everything, plan.reasons = True, ["no release has been published yet"]
    elif built_from.get("code_fingerprint") != inputs["code_fingerprint"]:
        plan.everything = True
        plan.reasons = [f"the code, dbt projects or registry changed since release {cur.name}"]
    states = source_states(feeds, settings)
    published = (read_manifest(cur).get("feeds") or {}) if cur else {}
    for fid, st in states.items():
        landed = FeedStore(settings.feed_dir(fid), fid).current_info()
        if st.get("error"):
            plan.source_errors[fid] = st["error"]
        if st.get("changed") and not st.get("error"):
            plan.changed_feeds.append(fid)
        elif cur is not None and (landed.sha256 if landed else None) != (published.get(fid) or {}).get(
            "sha256"
        ):
            # landed but never published (a run killed after its ingest): finish the job
            plan.changed_feeds.append(fid)
    if plan.changed_feeds and not plan.everything:
        plan.reasons.append(f"{len(plan.changed_feeds)} source(s) changed: {', '.join(plan.changed_feeds)}")
    if not plan.everything and built_from.get("custom_areas") != inputs["custom_areas"]:
        plan.custom_areas_changed = True
        plan.reasons.append("the custom-area folder changed")
    if any(pending_deliveries(settings, f) for f in registry.restricted_feeds):
        plan.restricted_pending = True
        plan.reasons.append("a restricted delivery is waiting in the landing zone")
    return plan
