"""The workshop app: `critical-mass app` shows a room the tipping point in a browser, offline.

Solara components (sim.app.page) over one adapter to the model (sim.app.workshop_model, with the
key table sim.app.scenario_keys). Importing this package imports no web framework: `sim.app.serve`
sets Solara's environment first, then starts the server with `sim.app.page` as the page.
"""
