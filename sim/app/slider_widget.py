"""A slider that keeps up with fast hands: the browser holds its own position and tells the server
where it came to rest.

A plain two-way slider sends every step of a drag or of held arrow keys, and each answer from the
server moves the thumb back to where it was a moment ago: it fights the facilitator. This one sends
its value once the thumb has rested for a moment, and takes the server's value only when it changed
there (another preset chosen, a value cleaned to the setting's range).
"""

from __future__ import annotations

from collections.abc import Callable

import ipyvuetify
import solara
import traitlets

REST_MS = 150  # how long the thumb must rest before the value is sent

TEMPLATE = """
<template>
  <v-slider v-model="local" :min="min" :max="max" :step="step" hide-details @change="moved"
            :class="'cm-slider cm-slider-' + name" :aria-label="label"></v-slider>
</template>
<script>
module.exports = {
  data() {
    return { local: 0, timer: null };
  },
  mounted() {
    this.local = this.value;
  },
  watch: {
    value(v) {
      if (this.timer === null) this.local = v;
    },
  },
  methods: {
    moved(v) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.value = v;
      }, REST_MS);
    },
  },
};
</script>
""".replace("REST_MS", str(REST_MS))


class SliderWidget(ipyvuetify.VuetifyTemplate):
    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    value = traitlets.Float(0).tag(sync=True)
    min = traitlets.Float(0).tag(sync=True)
    max = traitlets.Float(1).tag(sync=True)
    step = traitlets.Float(0.01).tag(sync=True)
    name = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)


@solara.component
def Slider(name: str, label: str, value: float, on_value: Callable[[float], None], low: float, high: float,
           step: float) -> None:
    SliderWidget.element(value=float(value), min=float(low), max=float(high), step=float(step), name=name,
                         label=label, on_value=on_value)
