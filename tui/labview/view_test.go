package labview

import "testing"

// TestColumnsNeverTouch: a figure wider than its column is still set off
// from its neighbour (TMPD-diag's SW of 197.798 ran into its TV).
func TestColumnsNeverTouch(t *testing.T) {
	for _, c := range []struct {
		s    string
		w    int
		want string
	}{
		{"0.5", 7, "    0.5"},
		{"197.798", 7, " 197.798"},
		{"1600+1600", 10, " 1600+1600"},
	} {
		if got := column(c.s, c.w); got != c.want {
			t.Errorf("column(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
	if got := fmtNum(12345.678, "%.3f"); got != "1.235e+04" {
		t.Errorf("fmtNum(12345.678) = %q", got)
	}
}
