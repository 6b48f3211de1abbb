//! How a ratio and a time are written in the reports.

/// A ratio with three significant digits (0.00612, 0.149, 24.4).
pub fn ratio_text(r: f64) -> String {
    if !r.is_finite() || r <= 0.0 {
        return format!("{r}");
    }
    let decimals = (2 - r.log10().floor() as i32).max(0) as usize;
    format!("{r:.decimals$}")
}

/// How [`time_text`] writes a time: each report keeps its own (the
/// benchmarks' times per operation, the peers' per round trip or per stream).
#[derive(Debug, Clone, Copy)]
pub struct TimeStyle {
    /// Whether a time of a second or more is written in seconds (else in
    /// milliseconds).
    pub seconds: bool,
    /// Decimals of a time under a microsecond (milliseconds, microseconds and
    /// seconds get two).
    pub ns_decimals: usize,
}

/// `ns` with a unit that keeps it readable (`1.25 ms`, `310.4 ns`).
pub fn time_text(ns: f64, style: TimeStyle) -> String {
    if style.seconds && ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.prec$} ns", prec = style.ns_decimals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_keep_three_significant_digits() {
        assert_eq!(ratio_text(0.006_123), "0.00612");
        assert_eq!(ratio_text(0.1494), "0.149");
        assert_eq!(ratio_text(24.43), "24.4");
        assert_eq!(ratio_text(882.4), "882");
        assert_eq!(ratio_text(f64::NAN), "NaN");
    }

    #[test]
    fn times_in_each_style() {
        let fine = TimeStyle {
            seconds: false,
            ns_decimals: 1,
        };
        let coarse = TimeStyle {
            seconds: true,
            ns_decimals: 0,
        };
        assert_eq!(time_text(310.44, fine), "310.4 ns");
        assert_eq!(time_text(310.44, coarse), "310 ns");
        assert_eq!(time_text(2_500.0, fine), "2.50 µs");
        assert_eq!(time_text(1_250_000.0, coarse), "1.25 ms");
        assert_eq!(time_text(2e9, fine), "2000.00 ms");
        assert_eq!(time_text(2e9, coarse), "2.00 s");
    }
}
