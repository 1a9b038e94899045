// Loads report.html in Debian's Chromium (playwright-core drives it; no
// browser is downloaded) and checks it against the files written beside it:
// the matrices' cells against confusion_<model>.csv, deep links and clicks
// on cells against predictions.csv, no network request, no console error.
// Prints "ok ..." / "FAIL ..." lines for tests/test_html.c, and "# ..." figures.
// usage: node check_report.js REPORT_DIR [SCREENSHOT_PREFIX]
"use strict";
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const dir = path.resolve(process.argv[2]);
const shots = process.argv[3];
const url = "file://" + path.join(dir, "report.html");
let passed = 0, failed = 0;
function check(cond, what) { console.log((cond ? "ok " : "FAIL ") + what); cond ? passed++ : failed++; }

function csv(text) { // RFC 4180: quoted fields may hold commas, quotes and newlines
  const rows = []; let row = [], field = "", q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) { if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') q = false; else field += c; }
    else if (c === '"') q = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n") { row.push(field); rows.push(row); row = []; field = ""; }
    else if (c !== "\r") field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// the explanations: a confusion cell's separating features, a track's wrong
// segments (as predictions.csv has them) with the CNN's map and a player jump
async function whyChecks(page, pred, col) {
  await page.goto(url);
  await page.waitForSelector("body[data-ready='1']");
  const why = await page.evaluate(() => D.why ? { maps: Object.keys(D.why.maps).map(Number), pairs: Object.keys(D.why.pairs).length,
    rows: D.rows, tracks: D.tracks.map(t => t.name), labels: D.labels } : null);
  if (!why) return check(false, "report.html carries the explanations (why)");
  console.log(`# ${why.maps.length} CNN maps, ${why.pairs} class pairs with their features`);
  const wrong = {}; // track -> set of segments some model got wrong, from predictions.csv
  for (const r of pred.slice(1)) if (r[col("true")] !== r[col("predicted")]) (wrong[r[col("track")]] ||= new Set()).add(r[col("segment")]);
  const withMap = why.maps.length ? why.tracks[why.rows[why.maps[0]][0]] : Object.keys(wrong)[0];
  if (!withMap) return check(true, "no wrong segment: nothing to explain");
  await page.goto(`${url}#track=${encodeURIComponent(withMap)}`);
  await page.waitForSelector("#track:not([hidden]) svg");
  const seen = await page.$$eval("#track .seg", els => els.length);
  check(seen === wrong[withMap].size, `#track=${withMap}: ${seen} wrong segments listed, as predictions.csv (${wrong[withMap].size})`);
  if (why.maps.length) {
    const img = await page.$eval("#track .seg img", im => ({ src: im.src.slice(0, 22), w: im.naturalWidth, h: im.naturalHeight }));
    check(img.src === "data:image/png;base64," && img.w > 100 && img.h > 100, `the CNN's map is an inline PNG that decodes (${img.w}x${img.h})`);
  }
  const button = await page.$("#track button.play");
  const hasAudio = await page.$("#track audio");
  if (button && hasAudio) {
    const t = await button.getAttribute("data-t");
    await button.click();
    const src = await page.$eval("#track audio", a => a.src);
    check(src.endsWith(`#t=${t}`), `a wrong segment's button jumps the player to it (${src.slice(src.lastIndexOf("#"))})`);
  }
  if (why.pairs) {
    const cell = await page.$$eval("table.matrix td", tds => tds.filter(td => td.dataset.true !== td.dataset.pred && +td.dataset.count > 0)
      .map(td => [td.closest("table").dataset.model, td.dataset.true, td.dataset.pred])[0]);
    if (cell) {
      await page.goto(`${url}#cell=${cell.map(encodeURIComponent).join("/")}`);
      await page.waitForSelector("#cell-tracks");
      const text = await page.textContent("#cell");
      check(text.includes(`Features that separate ${cell[1]} and ${cell[2]}`), `cell ${cell.join("/")} names the features that separate its classes`);
    }
  }
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const network = [], errors = [];
  page.on("request", r => { if (!/^(file|data|about|blob):/.test(r.url())) network.push(r.url()); });
  page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", e => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector("body[data-ready='1']", { timeout: 20000 });
  await page.waitForSelector("body[data-painted-at]", { timeout: 20000 });
  const t = await page.evaluate(() => ({ ready: +document.body.dataset.readyAt, painted: +document.body.dataset.paintedAt,
    build: +document.body.dataset.buildMs, response: performance.getEntriesByType("navigation")[0].responseEnd }));
  console.log(`# interactive ${t.ready} ms after navigation started (file read by ${t.response.toFixed(0)} ms; the ` +
              `script parsed the data and built the page in ${t.build} ms), first frame painted at ${t.painted} ms ` +
              `(${(fs.statSync(path.join(dir, "report.html")).size / 1e6).toFixed(2)} MB)`);

  // the matrices (segment level, counts) against confusion_<model>.csv
  const models = await page.$$eval("table.matrix", ts => ts.map(t => t.dataset.model));
  check(models.length > 0, `${models.length} confusion matrices`);
  for (const m of models) {
    const rows = csv(fs.readFileSync(path.join(dir, `confusion_${m}.csv`), "utf8")), labels = rows[0].slice(1);
    const cells = await page.$$eval(`table.matrix[data-model="${m}"] td`, tds => tds.map(td => [td.dataset.true, td.dataset.pred, +td.dataset.count]));
    let same = cells.length === labels.length * labels.length;
    for (const [a, b, n] of cells) {
      const r = rows.find(x => x[0] === a);
      same = same && r && +r[1 + labels.indexOf(b)] === n;
    }
    check(same, `${m}: every cell equals confusion_${m}.csv (${cells.length} cells)`);
  }

  // deep links and clicks against predictions.csv: the tracks with a segment in the cell
  const pred = csv(fs.readFileSync(path.join(dir, "predictions.csv"), "utf8"));
  const col = name => pred[0].indexOf(name);
  const expected = (m, a, b) => [...new Set(pred.slice(1).filter(r => r[col("model")] === m && r[col("true")] === a && r[col("predicted")] === b).map(r => r[col("track")]))].sort();
  const cellsToTry = [];
  for (const m of models) {
    const nonzero = await page.$$eval(`table.matrix[data-model="${m}"] td`, tds => tds.filter(td => +td.dataset.count > 0).map(td => [td.dataset.true, td.dataset.pred]));
    const off = nonzero.filter(([a, b]) => a !== b), diag = nonzero.filter(([a, b]) => a === b);
    for (const c of [...off.slice(0, 2), ...diag.slice(0, 1)]) cellsToTry.push([m, ...c]);
  }
  for (const [m, a, b] of cellsToTry) {
    await page.goto(`${url}#cell=${encodeURIComponent(m)}/${encodeURIComponent(a)}/${encodeURIComponent(b)}`);
    await page.waitForSelector("body[data-ready='1']");
    const listed = (await page.$$eval("#cell-tracks [data-track]", els => els.map(e => e.dataset.track))).sort();
    const want = expected(m, a, b);
    check(JSON.stringify(listed) === JSON.stringify(want), `deep link #cell=${m}/${a}/${b}: ${listed.length} tracks, as predictions.csv (${want.length})`);
  }
  if (cellsToTry.length) {
    const [m, a, b] = cellsToTry[0];
    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']");
    await page.click(`table.matrix[data-model="${m}"] td[data-true="${a}"][data-pred="${b}"]`);
    await page.waitForSelector("#cell-tracks");
    const listed = (await page.$$eval("#cell-tracks [data-track]", els => els.map(e => e.dataset.track))).sort();
    check(JSON.stringify(listed) === JSON.stringify(expected(m, a, b)), `a click on ${m}'s cell ${a} -> ${b} lists the same tracks`);
    check(page.url().includes(`#cell=${m}/`), "the click leaves a shareable deep link in the address");
    const first = listed[0];
    await page.goto(`${url}#track=${encodeURIComponent(first)}`);
    await page.waitForSelector("#track:not([hidden]) svg");
    const text = await page.textContent("#track");
    check(models.every(x => text.includes(x === "ann" ? "ANN" : x === "cnn" ? "CNN" : "Ensemble")) && text.includes(first),
          `#track=${first}: every model's verdict and the segment timeline`);
    const size = await page.$eval("#track svg", s => [s.width.baseVal.value, s.height.baseVal.value]);
    check(size[0] >= 300 && size[1] >= 120, `the segment timeline is ${size[0]} x ${size[1]} px (at least 300 x 120)`);
    await page.evaluate(h => { location.hash = h; }, `cell=${encodeURIComponent(m)}/${encodeURIComponent(a)}/${encodeURIComponent(b)}`);
    await page.waitForSelector("#track[hidden]", { state: "attached" });
    check(await page.$eval("#track", e => e.hidden), "a cell followed after a track replaces the track's panel");
    if (shots) {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${url}#cell=${encodeURIComponent(m)}/${encodeURIComponent(a)}/${encodeURIComponent(b)}`);
      await page.waitForSelector("body[data-ready='1']");
      await page.evaluate(() => document.getElementById("cell").scrollIntoView({ block: "end" }));
      await page.screenshot({ path: `${shots}-desktop.png` });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(url);
      await page.waitForSelector("body[data-ready='1']");
      await page.screenshot({ path: `${shots}-phone.png` });
    }
  }
  await whyChecks(page, pred, col);
  const dis = await page.$$eval("#disagree [data-track]", els => els.length);
  console.log(`# ${dis} tracks in the disagreement view`);
  check(network.length === 0, `no network request (${network.length}${network.length ? ": " + network[0] : ""})`);
  check(errors.length === 0, `no console error (${errors.length}${errors.length ? ": " + errors[0] : ""})`);
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch(e => { console.log("FAIL the browser run: " + e.message.split("\n")[0]); console.log(`${passed} passed, ${failed + 1} failed`); process.exit(1); });
