package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/gif"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"tweedie/core/export"
	"tweedie/core/imgio"
	"tweedie/core/npz"
	"tweedie/core/report"
)

// runMain runs tweedie in-process and returns the exit status, stdout and stderr.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := realMain(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// listDir returns the names in dir, sorted ("" entries for none).
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return im
}

func checkSize(t *testing.T, name string, im image.Image, w, h int) {
	t.Helper()
	if b := im.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s is %d×%d, want %d×%d", name, b.Dx(), b.Dy(), w, h)
	}
}

// summaryFields are the fields summary.json must have.
var summaryFields = []string{"method", "op", "sigma", "params", "sampler", "steps", "seed", "psnr", "ssim",
	"residual", "elapsed_ms", "diverged_at", "grad_norms", "update_norms", "posterior_weights", "cos_to_exact",
	"grad_exact_norms", "update_ratios"}

func TestRunWritesEveryFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	dump := filepath.Join(dir, "steps.npz")
	const steps, every = 20, 3
	code, stdout, stderr := runMain(t, "run", "--steps", "20", "--gif-every", "3", "--image", "7",
		"--out", out, "--dump", dump)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr not empty on a non-terminal: %q", stderr)
	}
	if !strings.Contains(stdout, "PSNR") || !strings.Contains(stdout, "wrote") {
		t.Errorf("text summary: %q", stdout)
	}
	want := []string{"final.png", "gradnorm.png", "measurement.png", "steps.csv", "summary.json", "trajectory.gif", "truth.png", "x0hat.png"}
	if got := listDir(t, out); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"out", "steps.npz"}) {
		t.Errorf("left in the parent: %v", got)
	}
	for _, n := range []string{"final.png", "x0hat.png", "truth.png", "measurement.png"} {
		checkSize(t, n, decodePNG(t, filepath.Join(out, n)), 224, 224)
	}
	// The measurement of centre-box inpainting shows the box in the missing colour.
	if c := decodePNG(t, filepath.Join(out, "measurement.png")).At(112, 112); c != imgio.MissingColour {
		r, g, b, _ := c.RGBA()
		t.Errorf("measurement centre is %v %v %v, want the missing colour", r>>8, g>>8, b>>8)
	}
	if im := decodePNG(t, filepath.Join(out, "gradnorm.png")); im.Bounds().Dx() < 200 {
		t.Errorf("gradnorm.png is %v", im.Bounds())
	}

	// summary.json
	raw, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	for _, f := range summaryFields {
		if _, ok := fields[f]; !ok {
			t.Errorf("summary.json lacks %q", f)
		}
	}
	var sum struct {
		Method, Op, Sampler string
		R                   any
		Sigma               float64
		Params              map[string]string
		Steps               int
		Seed                uint64
		PSNR, SSIM          float64
		Residual            float64
		ElapsedMS           float64   `json:"elapsed_ms"`
		DivergedAt          *int      `json:"diverged_at"`
		GradNorms           []float64 `json:"grad_norms"`
		UpdateNorms         []float64 `json:"update_norms"`
		GradExactNorms      []float64 `json:"grad_exact_norms"`
		PosteriorWeights    []float64 `json:"posterior_weights"`
		CosToExact          []float64 `json:"cos_to_exact"`
		GIFFrames           int       `json:"gif_frames"`
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Method != "pig" || sum.Op != "inpaint-box:size=14" || sum.Sampler != "ddpm" || sum.Params["r"] != "auto" ||
		sum.Sigma != 0.05 || sum.Params["weighting"] != "tweedie" || sum.Steps != steps || sum.Seed != 1 || sum.DivergedAt != nil {
		t.Errorf("summary settings: %+v", sum)
	}
	if !(sum.PSNR > 5) || !(sum.SSIM > 0) || !(sum.Residual > 0) || !(sum.ElapsedMS > 0) {
		t.Errorf("summary results: %+v", sum)
	}
	if len(sum.GradNorms) != steps || len(sum.CosToExact) != steps || len(sum.PosteriorWeights) != 10 {
		t.Errorf("arrays: %d grad norms, %d cosines, %d weights", len(sum.GradNorms), len(sum.CosToExact), len(sum.PosteriorWeights))
	}
	total := 0.0
	for _, w := range sum.PosteriorWeights {
		total += w
	}
	if math.Abs(total-1) > 1e-9 {
		t.Errorf("posterior weights sum to %v", total)
	}

	// steps.csv: a header and one row per step, matching grad_norms.
	f, err := os.Open(filepath.Join(out, "steps.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != report.StepsCSVHeader || len(rows) != steps+1 {
		t.Fatalf("steps.csv: header %v, %d rows", rows[0], len(rows)-1)
	}
	for i, r := range rows[1:] {
		if r[0] != strconv.Itoa(i) || len(r) != 12 {
			t.Fatalf("row %d: %v", i, r)
		}
		// g_norm and update_norm are grad_norms and update_norms of summary.json.
		if r[5] != export.CSVFloat(sum.GradNorms[i]) || r[9] != export.CSVFloat(sum.UpdateNorms[i]) || r[6] != export.CSVFloat(sum.GradExactNorms[i]) {
			t.Fatalf("row %d: %v does not match the summary's norms", i, r)
		}
	}

	// trajectory.gif: frames at 0, 3, …, 18 and the last step, 19.
	g, err := os.Open(filepath.Join(out, "trajectory.gif"))
	if err != nil {
		t.Fatal(err)
	}
	anim, err := gif.DecodeAll(g)
	g.Close()
	if err != nil {
		t.Fatal(err)
	}
	wantFrames := (steps+every-1)/every + 1
	if len(anim.Image) != wantFrames || sum.GIFFrames != wantFrames {
		t.Errorf("GIF has %d frames, summary says %d, want %d", len(anim.Image), sum.GIFFrames, wantFrames)
	}
	if b := anim.Image[0].Bounds(); b.Dx() != 2*224+imgio.GridGap || b.Dy() != 224 {
		t.Errorf("GIF frame is %v", b)
	}

	// The dump.
	zr := openNPZ(t, dump)
	shapes := map[string][]int{
		"x_t": {steps, 784}, "x0_hat": {steps, 784}, "score_y": {steps, 784}, "update": {steps, 784},
		"t": {steps}, "alpha_bar": {steps}, "y": {784 - 14*14}, "truth": {784}, "mask": {784},
		"final": {784}, "height": {}, "width": {}, "channels": {},
	}
	for name, want := range shapes {
		h, err := zr.Header(name)
		if err != nil {
			t.Errorf("npz lacks %s (has %v): %v", name, zr.Names(), err)
			continue
		}
		if got := h.Shape; !slices.Equal(got, want) {
			t.Errorf("%s has shape %v, want %v", name, got, want)
		}
	}
	xt, err := zr.Read("x_t", steps*784)
	if err != nil || len(xt.Data) != steps*784 || xt.DType != npz.Float32 {
		t.Fatalf("x_t: %d values of %s, %v", len(xt.Data), xt.DType, err)
	}
	m, err := zr.Read("mask", 784)
	if err != nil {
		t.Fatal(err)
	}
	mask := m.Data
	observed := 0.0
	for _, m := range mask {
		observed += m
	}
	if observed != 784-14*14 {
		t.Errorf("mask observes %v pixels", observed)
	}
	if ts, err := zr.Read("t", steps); err != nil || ts.DType != npz.Int64 || ts.Data[0] != 1000 {
		t.Errorf("t = %+v, %v", ts, err)
	}
}

func TestRunJSONToStdout(t *testing.T) {
	code, stdout, stderr := runMain(t, "run", "--method", "dps", "--steps", "20", "--sampler", "ddim", "--eta", "0.5",
		"--op", "sr:factor=2", "--json", "--no-exact")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	params, _ := sum["params"].(map[string]any)
	if sum["method"] != "dps" || sum["sampler"] != "ddim" || params["zeta"] != "0.3" || params["r"] != nil || sum["op"] != "sr:factor=2" {
		t.Errorf("summary %v", sum)
	}
	if _, ok := sum["cos_to_exact"]; ok {
		t.Error("--no-exact still reports cos_to_exact")
	}
	// ΠG's r does not apply to DPS: refused, naming the method that takes it.
	code, _, stderr = runMain(t, "run", "--method", "dps", "--r", "0.2", "--steps", "2")
	if code != 2 || !strings.Contains(stderr, "--r: DPS does not take it; it is a parameter of ΠG") {
		t.Errorf("run --method dps --r 0.2: exit %d, %q", code, stderr)
	}
}

// TestRunDivergedWritesOutputs: a diverged run is not a usage error.
func TestRunDivergedWritesOutputs(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runMain(t, "run", "--method", "dps", "--zeta", "1e300", "--steps", "20", "--out", out, "--json")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	if !strings.Contains(stderr, "diverged at step") || !strings.Contains(stderr, "outputs written") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q", stderr)
	}
	// Without --out or --dump nothing is written, and the message says none.
	code, _, stderr2 := runMain(t, "run", "--method", "dps", "--zeta", "1e300", "--steps", "20", "--json")
	if code != 1 || strings.Contains(stderr2, "written") || !strings.Contains(stderr2, "diverged_at = ") {
		t.Errorf("no outputs: exit %d, %q", code, stderr2)
	}
	var sum struct {
		DivergedAt *int      `json:"diverged_at"`
		GradNorms  []float64 `json:"grad_norms"`
		StepsDone  int       `json:"steps_done"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout: %v", err)
	}
	if sum.DivergedAt == nil || *sum.DivergedAt != sum.StepsDone-1 || len(sum.GradNorms) != sum.StepsDone {
		t.Errorf("summary %+v", sum)
	}
	if len(listDir(t, out)) != 8 {
		t.Errorf("files %v", listDir(t, out))
	}
}

// TestRunBadInputExits2 checks one line on stderr, status 2 and nothing
// left in the directory.
func TestRunBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	afile := filepath.Join(dir, "file")
	if err := os.WriteFile(afile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sub", "out")
	dump := filepath.Join(dir, "d.npz")
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--nope"}, {"--sigma", "-1"}, {"--sigma", "NaN"}, {"--steps", "0"}, {"--steps", "1001"},
		{"--op", "phase", "--method", "pig"}, {"--method", "oracle", "--sigma", "0"}, {"--prior", "gmm26:d=8"}, {"--prior", "gmm25:d=7"},
		{"--gif-every", "-1"}, {"stray"}, {"--image", "100"}, {"--image-file", filepath.Join(dir, "none.png")},
		{"--image-file", afile}, {"--image", "3", "--image-file", afile}, {"--eta", "2"}, {"--zeta", "-1"},
		{"--r", "x"}, {"--op", "blur-gauss:size=x"}, {"--sampler", "euler"},
		{"--dump", filepath.Join(dir, "nodir", "d.npz")}, {"--dump", dir},
		{"--prior", "mnist:x"}, {"--image", ""}, {"--image-file", ""}, {"--image-file", fifo},
	} {
		args := append([]string{"run", "--steps", "20", "--out", out, "--dump", dump}, args...)
		code, stdout, stderr := runMain(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args[6:], code, stderr)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "tweedie run: ") || stdout != "" {
			t.Errorf("%v: want one line on stderr, got %q (stdout %q)", args[6:], stderr, stdout)
		}
		if got := listDir(t, dir); !slices.Equal(got, []string{"file"}) {
			t.Fatalf("%v: left behind %v", args[6:], got)
		}
	}
	// --out naming a file.
	code, _, stderr := runMain(t, "run", "--steps", "20", "--out", afile)
	if code != 2 || !strings.Contains(stderr, "not a directory") {
		t.Errorf("--out FILE: exit %d, %q", code, stderr)
	}
}

// TestRunOutReplacesFilesInExistingDir: running twice into one directory
// replaces the files and keeps others.
func TestRunOutReplacesFilesInExistingDir(t *testing.T) {
	out := t.TempDir()
	keep := filepath.Join(out, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if code, _, stderr := runMain(t, "run", "--steps", "20", "--method", "none", "--out", out); code != 0 {
			t.Fatal(stderr)
		}
	}
	if got := listDir(t, out); len(got) != 9 || !slices.Contains(got, "notes.txt") {
		t.Errorf("files %v", got)
	}
	if got := listDir(t, filepath.Dir(out)); len(got) != 1 {
		t.Errorf("parent holds %v", got)
	}
}

func TestRunImageFile(t *testing.T) {
	dir := t.TempDir()
	// A 56×56 RGB image: white left half, black right half.
	im := image.NewRGBA(image.Rect(0, 0, 56, 56))
	for y := 0; y < 56; y++ {
		for x := 0; x < 28; x++ {
			im.Set(x, y, imgio.MissingColour) // magenta: luma 0.299 + 0.114
		}
	}
	path := filepath.Join(dir, "in.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, im); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "out")
	dump := filepath.Join(dir, "d.npz")
	code, stdout, stderr := runMain(t, "run", "--image-file", path, "--steps", "20", "--json", "--out", out, "--dump", dump)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, path) {
		t.Errorf("summary does not name the image: %s", stdout)
	}
	a, err := openNPZ(t, dump).Read("truth", 784)
	if err != nil {
		t.Fatal(err)
	}
	truth := a.Data
	wantLeft := 2*(0.299+0.114) - 1
	if math.Abs(truth[5*28+3]-wantLeft) > 1e-3 || math.Abs(truth[5*28+24]+1) > 1e-3 {
		t.Errorf("converted pixels %v %v, want %v and -1", truth[5*28+3], truth[5*28+24], wantLeft)
	}
}

func openNPZ(t *testing.T, path string) *npz.Reader {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := npz.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

func TestSubcommandHelp(t *testing.T) {
	for _, cmd := range []string{"run", "posterior", "prior"} {
		for _, h := range []string{"-h", "--help"} {
			code, stdout, stderr := runMain(t, cmd, h)
			if code != 0 || stderr != "" {
				t.Errorf("%s %s: exit %d, %q", cmd, h, code, stderr)
			}
			for _, want := range []string{"USAGE", "EXAMPLES", "EXIT STATUS", "-prior"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("%s %s: help lacks %q", cmd, h, want)
				}
			}
		}
	}
	_, stdout, _ := runMain(t, "--help")
	for _, want := range []string{"COMMANDS", "run ", "posterior", "prior", "EXIT STATUS"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("tweedie --help lacks %q", want)
		}
	}
}

// TestRunOutputTargetsNeverReplaced: a --dump that is a FIFO or a symbolic
// link is refused before the run, not replaced by a regular file; a
// directory where --out would put a file fails the run before any file is
// replaced; a directory that takes no files is found before the run.
func TestRunOutputTargetsNeverReplaced(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.npz")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, dump := range []string{fifo, link} {
		code, _, stderr := runMain(t, "run", "--steps", "2", "--dump", dump)
		if code != 2 || !strings.Contains(stderr, "not a regular file") {
			t.Errorf("--dump %s: exit %d, %q", dump, code, stderr)
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symbolic link was replaced: %v %v", fi.Mode(), err)
	}

	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(filepath.Join(out, "steps.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(out, "final.png")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runMain(t, "run", "--steps", "2", "--out", out)
	if code != 1 || !strings.Contains(stderr, "steps.csv is a directory") {
		t.Errorf("--out with a directory steps.csv: exit %d, %q", code, stderr)
	}
	if b, _ := os.ReadFile(old); string(b) != "old" {
		t.Errorf("final.png replaced before the failure: %q", b)
	}
	if got := listDir(t, out); !slices.Equal(got, []string{"final.png", "steps.csv"}) {
		t.Errorf("--out holds %v", got)
	}

	// A directory no file can be created in: /proc as root, else one without
	// write permission.
	locked := "/proc"
	if os.Geteuid() != 0 {
		locked = filepath.Join(dir, "locked")
		if err := os.Mkdir(locked, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"--dump", filepath.Join(locked, "d.npz")}, {"--out", locked}} {
		code, _, stderr := runMain(t, append([]string{"run", "--steps", "2"}, args...)...)
		if code != 2 || !strings.Contains(stderr, "cannot create a file in "+locked) {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"fifo", "link.npz", "locked", "out", "target"}) &&
		!slices.Equal(got, []string{"fifo", "link.npz", "out", "target"}) {
		t.Errorf("left behind %v", got)
	}
}
