"""The lines of text above the map: where the run is, and what is running."""

from __future__ import annotations

import pandas as pd

from sim.model import SchoolSystemModel


def headline(yearly: pd.DataFrame, tipped_year: int | None) -> str:
    """The line the room (and the browser tests) read: where the run is now."""
    last = yearly.iloc[-1]
    text = (f"year {int(last['year'])} · practising {last['practising_share']:.3f} · "
            f"achievement {last['mean_achievement']:+.2f} SD · gap {last['achievement_gap']:.2f} SD")
    return text + (f" · tipped in year {tipped_year}" if tipped_year is not None else "")


def settings_line(model: SchoolSystemModel) -> str:
    """What is running, since the sliders show no numbers and apply only on Reset."""
    c = model.config
    sizes = c.programme.sizes()
    leaders = c.alumni.stages[-1].roles.school_leader
    return (f"{c.name}: {sizes[0] if sizes else 0} fellows a year · "
            f"clustering {c.placement.clustering:.2f} · alumni leading schools {leaders:.2f} · "
            f"district support {c.support.district:.2f} · threshold {c.teachers.threshold_mean:.2f} · "
            f"seed {getattr(model, 'seed', '?')}")
