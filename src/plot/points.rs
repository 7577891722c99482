//! The points of a figure as CSV: `run,tag,step,wall_time,value,smoothed`, every point of
//! every series (not the downsampled drawing), runs in legend order, tags in chart order.
//! `smoothed` is TensorBoard's debiased EMA as drawn: restarted where the step goes back
//! (a resumed run's parts are separate series), a constant series left as it is, a
//! non-finite value passed through. Numbers are written in full (shortest round trip).

use super::Figure;
use crate::curves::{series, smooth};
use std::io::Write;

pub const HEADER: [&str; 6] = ["run", "tag", "step", "wall_time", "value", "smoothed"];

/// Writes the CSV; returns the rows written (the header not counted).
pub fn write(w: &mut impl Write, fig: &Figure, smoothing: f64) -> std::io::Result<u64> {
    let mut out = csv::Writer::from_writer(w);
    let err = |e: csv::Error| std::io::Error::other(e.to_string());
    out.write_record(HEADER).map_err(err)?;
    let mut rows = 0u64;
    for (run, _) in &fig.runs {
        for chart in &fig.charts {
            for s in chart.series.iter().filter(|s| &s.run == run) {
                for part in series::split_resets(&s.points) {
                    let constant = part.windows(2).all(|p| p[0].value == p[1].value);
                    let mut ema = smooth::Ema::new(smoothing, constant);
                    for p in part {
                        let sm = ema.next(p.value);
                        out.write_record([
                            run.as_str(),
                            chart.tag.as_str(),
                            &p.step.to_string(),
                            &p.wall.to_string(),
                            &p.value.to_string(),
                            &sm.to_string(),
                        ])
                        .map_err(err)?;
                        rows += 1;
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curves::Point;
    use crate::plot::{Chart, Series};

    #[test]
    fn rows_with_smoothing_restarted_at_a_reset() {
        let p = |step, value| Point {
            step,
            wall: 10.5,
            value,
        };
        let fig = Figure {
            charts: vec![Chart {
                tag: "loss".into(),
                series: vec![Series {
                    run: "a,b".into(),
                    color: [0, 0, 0],
                    points: vec![p(0, 1.0), p(1, 2.0), p(0, 4.0)],
                }],
            }],
            runs: vec![("a,b".into(), [0, 0, 0])],
        };
        let mut buf = Vec::new();
        assert_eq!(write(&mut buf, &fig, 0.6).unwrap(), 3);
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "run,tag,step,wall_time,value,smoothed");
        assert_eq!(lines[1], "\"a,b\",loss,0,10.5,1,1");
        let sm: f64 = lines[2]
            .strip_prefix("\"a,b\",loss,1,10.5,2,")
            .unwrap()
            .parse()
            .unwrap();
        assert!((sm - 1.625).abs() < 1e-12, "{sm}");
        // The step went back: a new series, smoothed from its own start.
        assert_eq!(lines[3], "\"a,b\",loss,0,10.5,4,4");
    }
}
