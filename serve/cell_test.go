package serve

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"tweedie/tui/termcaps"
)

// sixelSizes are the pixel sizes of the sixel images in out.
func sixelSizes(out string) [][2]int {
	var s [][2]int
	for _, m := range sixelRaster.FindAllStringSubmatch(out, -1) {
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		s = append(s, [2]int{w, h})
	}
	return s
}

// A session sizes its sixel images from the cell size the client's
// pty-req and window-change give (their pixel sizes over their cells), as
// OpenSSH sends them: without it, images drawn for a default cell
// overlapped one another over SSH while a local run was right.
func TestServeSixelCellFromPty(t *testing.T) {
	key := newKey(t)
	cfg := Config{AuthorizedKeysPath: authorizedKeys(t, key), Explorer: testExplorer()}
	cfg.Explorer.Graphics = termcaps.Sixel
	ts := startServer(t, cfg)
	c := ts.connect(t, key)
	// 100×30 cells of 8×17 pixels; the emulator answers no CSI 14/16 t.
	tm := openTermPixels(t, c, 100, 30, 800, 510)
	tm.waitScreen("step 1/40")
	// waitSixels waits until the last 4 images (at least) since from are
	// as wanted: images already on their way when the size changed may
	// come before.
	waitSixels := func(from int, want func([2]int) bool) [][2]int {
		t.Helper()
		deadline := time.Now().Add(waitLimit)
		for {
			s := sixelSizes(tm.output())[from:]
			ok := len(s) >= 4
			if ok {
				s = s[len(s)-4:]
			}
			for _, sz := range s {
				ok = ok && want(sz)
			}
			if ok {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("sixel images %v after %v", s, waitLimit)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	first := waitSixels(0, func(s [2]int) bool { return s[0]%8 == 0 && s[1]%17 == 0 })
	if !contains(ts.logs.String(), "cell=8x17") {
		t.Errorf("log lacks cell=8x17:\n%s", ts.logs.String())
	}
	// The same cells, now 10×20 pixels: every image is drawn again for
	// the same box of cells.
	n := len(sixelSizes(tm.output()))
	if _, err := tm.sess.SendRequest("window-change", false, gossh.Marshal(struct {
		Cols, Rows, W, H uint32
	}{100, 30, 1000, 600})); err != nil {
		t.Fatal(err)
	}
	second := waitSixels(n, func(s [2]int) bool { return s[0]%10 == 0 && s[1]%20 == 0 })
	boxes := map[[2]int]bool{}
	for _, s := range first {
		boxes[[2]int{s[0] / 8, s[1] / 17}] = true
	}
	for _, s := range second {
		if b := [2]int{s[0] / 10, s[1] / 20}; !boxes[b] {
			t.Errorf("after the window-change an image of %v px fills %v cells; before, the boxes were %v", s, b, boxes)
		}
	}
}

func contains(s, sub string) bool { return regexp.MustCompile(regexp.QuoteMeta(sub)).MatchString(s) }
