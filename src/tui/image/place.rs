//! Where a frame's source pixels land on screen, and back: a mouse click on a cell becomes
//! the source pixel under the middle of that cell. The image is drawn at the top-left of its
//! cell area, scaled so that one cell covers `font` pixels of the scaled image for every
//! protocol: sixel, kitty and iTerm2 draw those pixels; halfblocks draws them as one column
//! of two half-cell pixels (the upper and lower half), so a cell is still `font` pixels of
//! the scaled image, two pixel rows to the cell.

use ratatui::layout::Rect;

/// The scaled frame's placement: the crop's top-left in source pixels, scaled pixels per
/// source pixel, the font's cell size in pixels, and the scaled image's size.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Placement {
    pub origin: (f64, f64),
    pub scale: f64,
    pub font: (u16, u16),
    pub drawn: (u32, u32),
}

impl Placement {
    /// The source pixel under the middle of cell (`col`, `row`) of the screen, the image's
    /// cell area being `area`; `None` off the drawn image.
    pub fn cell_to_source(&self, area: Rect, col: u16, row: u16) -> Option<(f64, f64)> {
        if self.scale <= 0.0 || col < area.x || row < area.y {
            return None;
        }
        let (fw, fh) = (self.font.0.max(1) as f64, self.font.1.max(1) as f64);
        let px = (col - area.x) as f64 * fw + fw / 2.0;
        let py = (row - area.y) as f64 * fh + fh / 2.0;
        if col >= area.right() || row >= area.bottom() {
            return None;
        }
        if px >= self.drawn.0 as f64 || py >= self.drawn.1 as f64 {
            return None;
        }
        Some((
            self.origin.0 + px / self.scale,
            self.origin.1 + py / self.scale,
        ))
    }

    /// The screen cell a source pixel is drawn in; `None` outside the view.
    pub fn source_to_cell(&self, area: Rect, x: f64, y: f64) -> Option<(u16, u16)> {
        if self.scale <= 0.0 || !x.is_finite() || !y.is_finite() {
            return None;
        }
        let px = (x - self.origin.0) * self.scale;
        let py = (y - self.origin.1) * self.scale;
        if px < 0.0 || py < 0.0 || px >= self.drawn.0 as f64 || py >= self.drawn.1 as f64 {
            return None;
        }
        let col = area.x as f64 + (px / self.font.0.max(1) as f64).floor();
        let row = area.y as f64 + (py / self.font.1.max(1) as f64).floor();
        (col < area.right() as f64 && row < area.bottom() as f64)
            .then_some((col as u16, row as u16))
    }

    /// Source pixels per screen cell (x, y): how far one cell of mouse precision reaches.
    pub fn source_per_cell(&self) -> (f64, f64) {
        if self.scale <= 0.0 {
            return (1.0, 1.0);
        }
        (
            self.font.0 as f64 / self.scale,
            self.font.1 as f64 / self.scale,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_map_to_the_source_pixel_under_the_cell() {
        // A 396x406 frame in a 60x20 cell area with 10x20 px cells (the halfblocks picker):
        // scale = min(600/396, 400/406) = 0.98522..., drawn 390x400.
        let scale: f64 = (600.0f64 / 396.0).min(400.0 / 406.0);
        let p = Placement {
            origin: (0.0, 0.0),
            scale,
            font: (10, 20),
            drawn: ((396.0 * scale) as u32, (406.0 * scale) as u32),
        };
        let area = Rect::new(25, 3, 60, 20);
        // The top-left cell is pixels 0..10 x 0..20 of the scaled image: its middle (5, 10).
        let (x, y) = p.cell_to_source(area, 25, 3).unwrap();
        assert!((x - 5.0 / scale).abs() < 1e-9 && (y - 10.0 / scale).abs() < 1e-9);
        // Cell (10, 4) of the image: scaled (105, 90).
        let (x, y) = p.cell_to_source(area, 35, 7).unwrap();
        assert!((x - 105.0 / scale).abs() < 1e-9 && (y - 90.0 / scale).abs() < 1e-9);
        // And back to the same cell.
        assert_eq!(p.source_to_cell(area, x, y), Some((35, 7)));
        // Off the image: left of it, above it, right of the drawn 390 px.
        assert_eq!(p.cell_to_source(area, 24, 5), None);
        assert_eq!(p.cell_to_source(area, 30, 2), None);
        assert_eq!(p.cell_to_source(area, 25 + 39, 5), None);
        assert!(p.cell_to_source(area, 25 + 38, 5).is_some());
    }

    #[test]
    fn zoomed_and_panned_views_and_other_cell_sizes() {
        // Zoom 4 on a 400x400 frame centred at (300, 100): the crop starts at (250, 50);
        // a kitty/sixel font of 8x16 px.
        let p = Placement {
            origin: (250.0, 50.0),
            scale: 4.0,
            font: (8, 16),
            drawn: (400, 400),
        };
        let area = Rect::new(0, 0, 50, 25);
        let (x, y) = p.cell_to_source(area, 2, 1).unwrap();
        assert_eq!((x, y), (250.0 + 20.0 / 4.0, 50.0 + 24.0 / 4.0));
        assert_eq!(p.source_per_cell(), (2.0, 4.0));
        assert_eq!(p.source_to_cell(area, 249.0, 60.0), None);
        assert_eq!(p.source_to_cell(area, 255.0, 56.0), Some((2, 1)));
    }
}
