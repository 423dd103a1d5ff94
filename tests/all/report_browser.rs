//! `report.html` in a real browser (issue #19): headless Chromium (Debian's `chromium`, which
//! `.ci/run` installs) opens a shipped scenario's report with networking off. A driver script
//! this test adds to a copy of the page moves the pointer, drags a range and double-clicks
//! through real mouse events, and writes what the page then shows into the DOM, which
//! `--dump-dom` prints. Checked: the page logs no console message and loads nothing; hovering
//! moves one cursor line across every panel and shows a value for every series; zooming changes
//! the time axis of every panel and lists only the decisions in the range; a double-click
//! restores the whole run; screenshots of the page, plain and explored, are not blank and
//! differ.
//!
//! Without Chromium the test fails, unless `SCALESIM_SKIP_BROWSER` is set (then it says it
//! skipped).

use crate::helpers::{output_at_root, stderr};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCENARIO: &str = "scenarios/checkout-spike.yaml";

/// Collects uncaught errors and `console.error` calls from the page's first script on.
const HOOK: &str = "<script>window.__errors=[];\
window.addEventListener('error',function(e){window.__errors.push(String(e.message));});\
var __ce=console.error;console.error=function(){\
window.__errors.push(Array.prototype.join.call(arguments,' '));__ce.apply(console,arguments);};\
</script>";

/// Drives the page with mouse events and writes what it shows into `<pre id="selftest">`.
const DRIVER: &str = r#"<script>(function(){
var out={};
function all(s){return Array.prototype.slice.call(document.querySelectorAll(s));}
function text(s){var e=document.querySelector(s);return e?e.textContent:null;}
function readout(){return all('.readout .value').map(function(e){return e.textContent;});}
function shownRows(){return all('table.log tbody tr').filter(function(r){return !r.hidden;}).length;}
function xticks(){return all('svg.xchart').map(function(s){
  return Array.prototype.map.call(s.querySelectorAll('text.xtick'),function(t){return t.textContent;}).join(' ');});}
function cursors(){return all('svg.xchart line.cursor').filter(function(l){
  return l.getAttribute('visibility')==='visible';}).map(function(l){return l.getAttribute('x1');});}
function at(svg,f){var r=svg.getBoundingClientRect(),w=svg.viewBox.baseVal.width,k=r.width/w;
  return {x:r.left+(64+f*(w-128))*k,y:r.top+r.height/2};}
function fire(svg,type,f){var p=at(svg,f);svg.dispatchEvent(new MouseEvent(type,
  {bubbles:true,cancelable:true,clientX:p.x,clientY:p.y,button:0,view:window}));}
function range(){var l=document.getElementById('range-label');
  return {text:l.textContent,from:+l.getAttribute('data-from'),to:+l.getAttribute('data-to')};}
function state(){return {readout:readout(),cursor:text('#cursor-time'),cursors:cursors(),
  range:range(),rows:shownRows(),note:text('#log-filter'),xticks:xticks(),
  reset_disabled:document.getElementById('reset-zoom').disabled};}
function drag(svg,a,b){fire(svg,'mousedown',a);fire(svg,'mousemove',(a+b)/2);fire(svg,'mousemove',b);
  out.selection=all('svg.xchart rect.selection').filter(function(r){
  return r.getAttribute('visibility')==='visible';}).length;fire(svg,'mouseup',b);}
try{
  var svgs=all('svg.xchart');
  out.panels=svgs.length;
  out.series=readout().length;
  out.static_hidden=document.getElementById('static-figure').hidden;
  out.row_times=all('table.log tbody tr[data-t]').map(function(r){return +r.getAttribute('data-t');});
  out.before=state();
  fire(svgs[0],'mousemove',0.3);out.hover1=state();
  fire(svgs[0],'mousemove',0.6);out.hover2=state();
  drag(svgs[1],0.0,0.4);out.zoomed=state();
  fire(svgs[2],'dblclick',0.5);out.reset=state();
  drag(svgs[0],0.25,0.75);fire(svgs[0],'mousemove',0.5);out.last=state();
}catch(e){out.driver_error=String(e&&e.stack||e);}
out.errors=window.__errors;
out.resources=performance.getEntriesByType('resource').map(function(r){return r.name;});
var pre=document.createElement('pre');pre.id='selftest';pre.textContent=JSON.stringify(out);
document.body.appendChild(pre);})();</script>"#;

/// The Chromium to use, or `None` when the test may skip (`SCALESIM_SKIP_BROWSER` set).
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    });
    match found {
        Some(p) => Some(p),
        None if std::env::var_os("SCALESIM_SKIP_BROWSER").is_some() => {
            eprintln!(
                "report_browser: no chromium on PATH; skipped (SCALESIM_SKIP_BROWSER is set)"
            );
            None
        }
        None => panic!(
            "no chromium on PATH: install Debian's chromium package (.ci/run does), or set \
             SCALESIM_SKIP_BROWSER=1 to skip the browser tests"
        ),
    }
}

/// Run headless Chromium on `page` with networking off: (stdout, stderr).
fn browse(chromium: &Path, profile: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let url = format!("file://{}", page.display());
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
            "--window-size=1400,4000",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium starts");
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "chromium failed: {e}");
    (o, e)
}

/// The page's console messages as Chromium logs them.
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// The driver's results from a dumped DOM.
fn selftest(dom: &str) -> Value {
    let start = dom.find("<pre id=\"selftest\">").expect("the driver ran") + 19;
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

/// (share of pixels that are not white, distinct colours) of a PNG screenshot.
fn ink(png_path: &Path) -> (f64, usize) {
    let bytes = std::fs::read(png_path).expect("a screenshot");
    let mut reader = png::Decoder::new(bytes.as_slice()).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let coloured = pixels.iter().filter(|p| p[..3] != [255, 255, 255]).count();
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().map(|p| &p[..3]).collect();
    (coloured as f64 / pixels.len() as f64, colours.len())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap_or("").to_string())
        .collect()
}

/// Render the shipped report; write it and a driven copy into `dir`: (plain, driven).
fn pages(dir: &Path) -> (PathBuf, PathBuf) {
    let out = dir.join("run");
    let o = output_at_root(&["run", SCENARIO, "--out", out.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plain = out.join("report.html");
    let html = std::fs::read_to_string(&plain).unwrap();
    let driven = html
        .replacen("<head>\n", &format!("<head>\n{HOOK}\n"), 1)
        .replacen("</body>", &format!("{DRIVER}\n</body>"), 1);
    let driven_path = dir.join("driven.html");
    std::fs::write(&driven_path, driven).unwrap();
    (plain, driven_path)
}

#[test]
fn the_report_is_explorable_in_a_real_browser_offline() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (plain, driven) = pages(dir.path());
    let (dom, log) = browse(&chromium, &dir.path().join("p1"), &driven, &["--dump-dom"]);
    assert_eq!(console_lines(&log), Vec::<&str>::new(), "console messages");
    let r = selftest(&dom);
    assert!(
        r.get("driver_error").is_none(),
        "driver: {}",
        r["driver_error"]
    );
    assert_eq!(r["errors"], Value::Array(vec![]), "page errors");
    assert_eq!(
        r["resources"],
        Value::Array(vec![]),
        "the page loaded something"
    );
    assert!(r["static_hidden"].as_bool().unwrap());
    let panels = r["panels"].as_u64().unwrap() as usize;
    assert!(panels >= 5 && r["series"].as_u64().unwrap() >= 10, "{r}");

    // Hover: one cursor line per panel, at one x; a value for every series, changing with time.
    let before = strings(&r["before"]["readout"]);
    assert!(before.iter().all(|v| v == "–"), "{before:?}");
    let (h1, h2) = (
        strings(&r["hover1"]["readout"]),
        strings(&r["hover2"]["readout"]),
    );
    assert!(h1.iter().all(|v| !v.is_empty()) && h1.iter().filter(|v| *v != "–").count() >= 10);
    assert_ne!(h1, h2, "the readout does not follow the pointer");
    let lines = strings(&r["hover1"]["cursors"]);
    assert_eq!(lines.len(), panels, "a cursor line in every panel");
    assert!(lines.iter().all(|x| *x == lines[0]));
    assert_ne!(r["hover1"]["cursor"], r["hover2"]["cursor"]);
    assert!(r["hover1"]["cursor"].as_str().unwrap().starts_with("at "));

    // Zoom to the first 40 % (24 minutes: the spike's scale-out from 10 min, not the scale-in
    // after the load drop at 20 min and the 5-minute downscale window): every panel's time axis
    // changes; the log lists the range only.
    let (whole, zoomed) = (&r["before"], &r["zoomed"]);
    assert!(
        r["selection"].as_u64().unwrap() as usize == panels,
        "the dragged range is shown"
    );
    assert!(whole["reset_disabled"].as_bool().unwrap());
    assert!(!zoomed["reset_disabled"].as_bool().unwrap());
    let (from, to) = (
        zoomed["range"]["from"].as_f64().unwrap(),
        zoomed["range"]["to"].as_f64().unwrap(),
    );
    let run_end = whole["range"]["to"].as_f64().unwrap();
    assert!(
        from < 1.0 && (to - run_end * 0.4).abs() < run_end / 50.0,
        "{from}–{to}"
    );
    assert!(
        zoomed["range"]["text"]
            .as_str()
            .unwrap()
            .starts_with("zoomed to ")
    );
    let (t0, t1) = (strings(&whole["xticks"]), strings(&zoomed["xticks"]));
    assert!(t0.iter().zip(&t1).all(|(a, b)| a != b), "{t0:?} {t1:?}");
    let times: Vec<f64> = r["row_times"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_f64().unwrap())
        .collect();
    let inside = times.iter().filter(|&&t| t >= from && t <= to).count();
    assert!(
        inside > 0 && inside < times.len(),
        "pick a range that holds some decisions, not all: {inside} of {}",
        times.len()
    );
    assert_eq!(whole["rows"].as_u64().unwrap() as usize, times.len());
    assert_eq!(zoomed["rows"].as_u64().unwrap() as usize, inside);
    let note = zoomed["note"].as_str().unwrap();
    assert!(
        note.starts_with(&format!("{inside} of {} decisions", times.len())),
        "{note}"
    );

    // A double-click shows the whole run again.
    assert_eq!(r["reset"]["range"], whole["range"]);
    assert_eq!(r["reset"]["rows"], whole["rows"]);
    assert_eq!(r["reset"]["xticks"], whole["xticks"]);

    // Screenshots: the page as it opens and as explored are both drawn, and differ.
    let shots = [("plain.png", &plain), ("explored.png", &driven)];
    let mut inks = Vec::new();
    for (i, (name, page)) in shots.iter().enumerate() {
        let png = dir.path().join(name);
        let (_, log) = browse(
            &chromium,
            &dir.path().join(format!("s{i}")),
            page,
            &[&format!("--screenshot={}", png.display())],
        );
        assert_eq!(console_lines(&log), Vec::<&str>::new(), "console messages");
        let (share, colours) = ink(&png);
        assert!(
            share > 0.02 && colours > 20,
            "{name} is blank: {share} {colours}"
        );
        inks.push(std::fs::read(&png).unwrap());
    }
    assert_ne!(inks[0], inks[1], "exploring changed nothing on screen");
}
