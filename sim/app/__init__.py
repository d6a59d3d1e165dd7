"""The workshop app: `critical-mass app` shows a room the tipping point in a browser, offline.

Built on Mesa's SolaraViz. Importing this package imports no web framework: `sim.app.serve` sets
Solara's environment first, then starts the server with `sim.app.page` as the page.
"""
