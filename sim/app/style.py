"""One look for the page, sized to be read from the back of a room; room mode makes it bigger still.

Figures fill their boxes (SVG maps, ECharts charts), and boxes are sized by the window: hiding the
controls or going full screen enlarges everything. Room mode shows the headline, the practice map
and the practice chart on one 1280 x 720 screen; the other views follow below.
"""

CSS = """
.cm-app { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; font-size: 16px; color: #1f2933;
  background: #f4f6f8; min-height: 100vh; }
.cm-bar { display: flex; align-items: center; gap: 10px; padding: 6px 12px; background: #fff;
  border-bottom: 1px solid #d9e2ec; flex-wrap: wrap; }
.cm-bar .v-btn { font-size: 17px !important; text-transform: none !important; letter-spacing: 0 !important; }
.cm-title { font-size: 21px; font-weight: 700; margin-right: 12px; }
.cm-role { margin-left: auto; color: #52606d; font-size: 14px; }
.cm-body { display: flex; align-items: flex-start; }
.cm-controls { flex: 0 0 330px; width: 330px; padding: 10px 14px; background: #fff; border-right: 1px solid #d9e2ec;
  max-height: calc(100vh - 52px); overflow-y: auto; position: sticky; top: 0; }
.cm-main { flex: 1 1 auto; min-width: 0; padding: 10px 12px; }
.cm-control { margin: 4px 0 10px; padding: 4px 6px; border-radius: 6px; }
.cm-control-head { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
.cm-control-label { font-weight: 600; font-size: 16px; }
.cm-control-value { font-size: 16px; color: #102a43; text-align: right; font-variant-numeric: tabular-nums; }
.cm-pending { background: #fff3c4; outline: 2px solid #f0b429; }
.cm-pending-note { color: #8d2b0b; font-size: 14px; font-weight: 600; }
.cm-live-note { color: #52606d; font-size: 13px; }
.cm-hint { color: #52606d; font-size: 14px; display: block; margin: 4px 0; }
.cm-headline { background: #243b53; color: #fff; border-radius: 8px; padding: 8px 16px; display: flex;
  flex-direction: column; }
.cm-headline.cm-tipped { background: #b83245; box-shadow: 0 0 0 4px #f18f01; }
.cm-head-row { display: flex; align-items: baseline; gap: 24px; flex-wrap: wrap; }
.cm-banner { font-size: 30px; font-weight: 800; letter-spacing: 0.02em; color: #243b53; background: #fff3c4;
  padding: 0 14px; border-radius: 6px; }
.cm-year { font-size: 28px; font-weight: 700; }
.cm-figures-line { font-size: 24px; font-weight: 600; }
.cm-sub-line { font-size: 17px; opacity: 0.92; }
.cm-notes { margin: 6px 2px 0; display: flex; flex-direction: column; gap: 2px; font-size: 15px; }
.cm-grid { margin-top: 8px; }
.cm-pending-line { color: #8d2b0b; font-weight: 600; }
.cm-next-line, .cm-events-line { color: #6a4c93; font-weight: 600; }
.cm-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 12px; }
.cm-card { background: #fff; border: 1px solid #d9e2ec; border-radius: 8px; padding: 8px 10px; min-width: 0; }
.cm-card-title { font-size: 19px; font-weight: 700; display: block; margin-bottom: 4px; }
.cm-figure { height: 36vh; min-height: 260px; width: 100%; }
.cm-chart { width: 100%; height: 100%; }
.cm-map-box svg { width: 100%; height: 100%; display: block; }
.cm-district { fill: #1f2933; font-family: inherit; }
.cm-side-maps { display: flex; gap: 10px; position: relative; z-index: 1; margin-bottom: 4px; }
.cm-side-map { flex: 1 1 0; min-width: 0; }
/* two lines held for every label, so "clustered (this run): 76% · tipped in year 16" is read whole and
   both maps stay level */
.cm-side-label { font-size: 16px; font-weight: 600; display: block; line-height: 1.25; min-height: 2.5em; }
.cm-side-figure { height: 16vh; min-height: 130px; }
.cm-side-chart { height: 24vh; min-height: 210px; }
.cm-key { display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: flex-start; font-size: 15px; margin-top: 4px; }
.cm-key-scale { display: flex; flex-direction: column; min-width: 180px; }
.cm-key-bar { height: 12px; border-radius: 3px; }
.cm-key-ticks { display: flex; justify-content: space-between; }
.cm-key-unit { color: #52606d; font-size: 14px; }
.cm-key-marks { display: flex; flex-direction: column; }
.cm-mark-leaders { color: #d1495b; }
.cm-join { background: #fff; border: 2px solid #243b53; border-radius: 8px; padding: 8px; margin: 8px 0; }
.cm-join-title { font-weight: 700; display: block; }
.cm-join-url { font-size: 18px; font-weight: 700; display: block; word-break: break-all; }
.cm-join-small .cm-qr svg { width: 160px; height: 160px; }
.cm-join-big { display: flex; flex-direction: column; align-items: center; }
.cm-join-big .cm-join-url { font-size: 40px; }
.cm-join-big .cm-qr svg { width: min(60vh, 60vw); height: min(60vh, 60vw); }

/* room mode: no controls; headline, practice map and practice chart fill a 1280 x 720 projected screen */
.cm-app.cm-room { font-size: 20px; }
.cm-room .cm-headline { padding: 4px 14px; }
.cm-room .cm-year { font-size: 32px; }
.cm-room .cm-banner { font-size: 32px; }
.cm-room .cm-figures-line { font-size: 28px; }
.cm-room .cm-sub-line { font-size: 16px; }
.cm-room .cm-main { padding: 8px 10px; }
.cm-room .cm-grid { grid-template-columns: 1fr 1fr; gap: 10px; }
.cm-room .cm-card { padding: 4px 8px; }
.cm-room .cm-card-title { font-size: 20px; margin-bottom: 0; }
.cm-room .cm-primary .cm-figure { height: calc(100vh - 345px); min-height: 260px; }
.cm-room .cm-key { font-size: 16px; flex-wrap: nowrap; gap: 4px 14px; }
.cm-room .cm-key-marks { flex-direction: row; flex-wrap: wrap; gap: 0 12px; }
.cm-room .cm-key-unit { font-size: 15px; }
"""
