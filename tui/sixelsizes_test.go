package tui

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"
)

// sixelSizes reads the program's output until it has drawn at least n
// sixel images and returns their raster sizes in pixels (width, height).
func sixelSizes(t *testing.T, tm *teatest.TestModel, n int) [][2]int {
	t.Helper()
	raster := regexp.MustCompile(`\x1bP0;1;0q"1;1;(\d+);(\d+)`)
	var out []byte
	buf := make([]byte, 256<<10)
	deadline := time.Now().Add(maxWait(t))
	for len(raster.FindAllSubmatch(out, -1)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d sixel images after %v", n, maxWait(t))
		}
		k, _ := tm.Output().Read(buf)
		out = append(out, buf[:k]...)
		if k == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	var sizes [][2]int
	for _, m := range raster.FindAllSubmatch(out, -1) {
		w, _ := strconv.Atoi(string(m[1]))
		h, _ := strconv.Atoi(string(m[2]))
		sizes = append(sizes, [2]int{w, h})
	}
	return sizes
}
