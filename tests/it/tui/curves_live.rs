//! The Curves view while scalars arrive, on the mirror-mouse project with the real
//! lightning-pose runs: new points never make a redraw build a plot (the plot worker does,
//! off the UI thread), the last plot is drawn until the new one comes, and the worker's plot
//! is the synchronous build's.

use super::{act, mirror_project, open};
use crate::shared_or_skip;
use posedeck::tui::action::Action;
use posedeck::tui::chart::Point;
use posedeck::tui::chart::plot::{self, builds_on_this_thread};
use posedeck::tui::headless::screen;
use posedeck::tui::msg::Msg;
use posedeck::tui::scalars::ScalarUpdate;
use ratatui::layout::Rect;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn events_file(run: &Path) -> PathBuf {
    let dir = run.join("tb_logs/tiny_cpu_model/version_0");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("tfevents"))
        .unwrap()
}

#[test]
fn curves_appended_points_are_drawn_from_the_last_plot_until_the_new_one_is_built() {
    let data = shared_or_skip!();
    let (_tmp, root) = mirror_project(&data);
    let (w, h) = (160, 48);
    let size = Rect::new(0, 0, w, h);
    let (mut app, mut hl) = open(&root, w, h);
    act(&mut app, &mut hl, w, h, &[Action::ViewCurves]);
    let before = screen(&app, w, h);
    assert!(before.contains("train_supervised_loss"), "{before}");

    // A burst of 5,000 steps of one tag written to the real run's events file, read by the
    // tailer as in a live session.
    let file = events_file(&root.join("models/tiny_cpu_model"));
    let mut wr = posedeck::formats::tfevents::EventsWriter::append(&file).unwrap();
    for step in 1000..6000 {
        wr.add_scalar("train_supervised_loss", 1.0 + (step % 7) as f32, step)
            .unwrap();
    }
    wr.flush().unwrap();
    drop(wr);
    let n0 = app.scalars.total_points();
    app.handle(Msg::Watch(posedeck::watch::WatchMsg::EventsGrew(
        file.clone(),
    )));
    hl.run_effects(&mut app, size);
    assert_eq!(app.scalars.total_points(), n0 + 5000);

    // The redraw builds nothing: it draws the plot built before the points came.
    let builds = builds_on_this_thread();
    let t = Instant::now();
    let during = screen(&app, w, h);
    let draw = t.elapsed();
    assert_eq!(builds_on_this_thread(), builds, "a redraw built a plot");
    assert_eq!(
        during, before,
        "the last plot is drawn until the new one comes"
    );
    eprintln!("redraw with 5,000 new points pending: {draw:?}");

    // The worker is asked for the one chart whose tag changed, and its plot is drawn.
    let job = posedeck::tui::plots::next_job(&mut app, size).expect("a plot job");
    let tags: Vec<_> = job.items.iter().map(|(k, _)| k.tag.as_str()).collect();
    assert_eq!(tags, ["train_supervised_loss"]);
    let key = job.items[0].0.clone();
    let mut built = Vec::new();
    posedeck::tui::plots::build_job(job, || false, |b| built.push(b));
    for b in built {
        assert!(app.handle(Msg::Plot(Box::new(b))), "a new plot redraws");
    }
    let p = app.plots.best(&key).unwrap();
    assert_eq!(p.key, key);
    assert_eq!(p.x.1, 5999.0);
    assert_eq!(**p, plot::build(&app.scalars, &key));
    let after = screen(&app, w, h);
    assert_ne!(after, before);
    // Only that chart changed: the validation loss is drawn as before.
    let row = |s: &str, tag: &str| {
        s.lines()
            .position(|l| l.contains(tag))
            .map(|i| s.lines().skip(i).take(9).collect::<Vec<_>>().join("\n"))
    };
    assert_eq!(
        row(&before, "val_supervised_loss"),
        row(&after, "val_supervised_loss")
    );
}

#[test]
fn curves_live_worker_keeps_redraws_free_of_plot_building() {
    let data = shared_or_skip!();
    let (_tmp, root) = mirror_project(&data);
    let (w, h) = (160, 48);
    let size = Rect::new(0, 0, w, h);
    let (mut app, mut hl) = open(&root, w, h);
    act(&mut app, &mut hl, w, h, &[Action::ViewCurves]);
    posedeck::tui::input::set_filter(&mut app, "^train_supervised_loss$");
    act(&mut app, &mut hl, w, h, &[Action::Select]);
    assert!(!app.curves.grid, "the chart enlarged");
    let (run, dir) = app
        .scalars
        .runs
        .values()
        .find(|r| r.name.contains("tiny_cpu_model"))
        .map(|r| (r.name.clone(), r.dir.clone()))
        .unwrap();

    let (tx, rx) = std::sync::mpsc::channel();
    let mut worker = posedeck::tui::plots::spawn(tx);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    let (mut worst, mut received) = (Duration::ZERO, 0);
    for i in 0..200i64 {
        // 50 new points per batch, as the tailer sends them.
        app.handle(Msg::Scalars(ScalarUpdate {
            run: run.clone(),
            dir: dir.clone(),
            points: (0..50)
                .map(|j| {
                    let step = 10_000 + i * 50 + j;
                    let p = Point {
                        step,
                        wall: step as f64,
                        value: 0.01 + ((step * 31) % 17) as f64 / 100.0,
                    };
                    ("train_supervised_loss".to_string(), p)
                })
                .collect(),
            ..Default::default()
        }));
        posedeck::tui::plots::request(&mut app, size, &mut worker);
        let builds = builds_on_this_thread();
        let t = Instant::now();
        term.draw(|f| posedeck::tui::views::draw(&app, f)).unwrap();
        worst = worst.max(t.elapsed());
        assert_eq!(builds_on_this_thread(), builds, "a redraw built a plot");
        while let Ok(m) = rx.try_recv() {
            received += 1;
            app.handle(m);
        }
    }
    // The last request's plot comes and is what the synchronous build gives.
    let key = posedeck::tui::views::curves::wanted_plots(&app, size)
        .pop()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !app.plots.has(&key) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(m) => {
                received += 1;
                app.handle(m);
            }
            Err(e) => panic!("the plot of the last request never came: {e}"),
        }
    }
    let p = app.plots.best(&key).unwrap();
    assert_eq!(p.x.1, (10_000 + 200 * 50 - 1) as f64);
    assert_eq!(**p, plot::build(&app.scalars, &key));
    eprintln!("200 batches: worst redraw {worst:?}, {received} plots from the worker");
}
