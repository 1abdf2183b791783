// Package tour is the explorer's guided tour of the derivation (tweedie
// tour, key t): a sequence of stops, each a short text with the formula of
// one step of the argument, a state of the explorer (operator, method, σ,
// parameters, step, chart mode, compare partner), the panels or chart
// series to highlight, the quantity from the exact prior to show beside the
// approximation, and the keys worth pressing there.
//
// The texts, in English and Chinese, and every label the tour shows live in
// one data file, stops.json, embedded at build time. Load parses and
// validates it; the explorer applies a stop's state through its own prompt
// commands (Stop.Commands), so a stop does exactly what typing them would.
package tour

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"tweedie/core/method"
)

//go:embed stops.json
var stopsJSON []byte

// Lang is the language of the texts.
type Lang string

// The languages every stop has.
const (
	En Lang = "en"
	Zh Lang = "zh"
)

// Langs are the languages of the tour, in order.
var Langs = []Lang{En, Zh}

// ParseLang returns the language of a name ("en" or "zh").
func ParseLang(s string) (Lang, error) {
	l := Lang(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Langs, l) {
		return l, nil
	}
	return "", fmt.Errorf("language %q: want en or zh", s)
}

// DetectLang is the language the locale asks for: the first non-empty of
// LC_ALL, LC_MESSAGES and LANG (POSIX precedence); zh, zh_CN.UTF-8, … give
// Chinese, anything else English.
func DetectLang(getenv func(string) string) Lang {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := getenv(v); s != "" {
			if strings.HasPrefix(strings.ToLower(s), "zh") {
				return Zh
			}
			return En
		}
	}
	return En
}

// Text is a stop's words in one language.
type Text struct {
	Title   string `json:"title"`
	Formula string `json:"formula"`
	Body    string `json:"body"`
}

// State is the explorer's state at a stop. Unset fields take the tour's
// defaults (Tour.Defaults), so a stop looks the same however it is reached.
type State struct {
	Op      string            `json:"op,omitempty"`
	Method  string            `json:"method,omitempty"`
	Sigma   *float64          `json:"sigma,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	Step    string            `json:"step,omitempty"` // "first", "last", "N" or "N%" (of the steps)
	Compare *bool             `json:"compare,omitempty"`
	Partner string            `json:"partner,omitempty"` // the method compared with
	Ratios  *bool             `json:"ratios,omitempty"`  // the chart shows ratios to the exact norms
}

// The exact quantities a stop can show beside its approximation.
const (
	ExactNone  = ""
	ExactX0    = "x0"    // x̂0 at this step against the ground truth and at the last step
	ExactCov   = "cov"   // Cov[x0|x_t]: its diagonal as a panel, its mean and top eigenvalue against ΠG's r_t² and DPS's 0
	ExactScore = "score" // cos(g, g*) and ‖g‖/‖g*‖ of the methods on screen
	ExactFinal = "final" // the last x̂0 against the exact posterior mean and std
)

var exactKinds = []string{ExactNone, ExactX0, ExactCov, ExactScore, ExactFinal}

// Stop is one stop of the tour.
type Stop struct {
	ID string `json:"id"`
	State
	// Highlight names the panels (truth, y, xt, x0, upd, pmean, pstd, covt)
	// and chart series (‖g‖, ‖g*‖, ‖g‖/‖g*‖, …) to mark.
	Highlight []string `json:"highlight,omitempty"`
	// Keys are the explorer's keys worth pressing here, as the KeyMap spells
	// them; the ui labels "key.K" say what each does, in every language.
	Keys []string `json:"keys,omitempty"`
	// Exact is the exact quantity shown beside the approximation.
	Exact string `json:"exact,omitempty"`
	// Text is the stop's words by language.
	Text map[Lang]Text `json:"text"`
}

// Tour is the parsed data file.
type Tour struct {
	Defaults State `json:"defaults"`
	// UI are the tour's labels by language: the names of its keys and the
	// formats of its exact lines (see the data file).
	UI    map[Lang]map[string]string `json:"ui"`
	Stops []Stop                     `json:"stops"`
}

// Limits of the data file.
const (
	MinStops = 8
	MaxStops = 12
)

// uiFormats are the labels every language has, with the number of %s
// verbs each takes.
var uiFormats = map[string]int{
	"tour": 0, "next": 0, "back": 0, "leave": 0, "try": 0, "exact": 0, "na": 0,
	ExactX0: 3, ExactCov: 3, ExactScore: 1, "scoreOf": 3, ExactFinal: 3, "covPanel": 0,
}

// checkFormat checks that a label takes exactly n string arguments
// (%s or %[i]s), each once.
func checkFormat(s string, n int) error {
	args := make([]any, n)
	for i := range args {
		args[i] = fmt.Sprintf("\x00%d\x00", i)
	}
	out := fmt.Sprintf(s, args...)
	if strings.Contains(out, "%!") {
		return fmt.Errorf("bad verbs for %d arguments", n)
	}
	for i := range args {
		if strings.Count(out, args[i].(string)) != 1 {
			return fmt.Errorf("argument %d used %d times, want once", i+1, strings.Count(out, args[i].(string)))
		}
	}
	return nil
}

// Load parses and validates the embedded data file.
func Load() (*Tour, error) { return Parse(stopsJSON) }

// Parse parses and validates a tour data file.
func Parse(data []byte) (*Tour, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t Tour
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("tour: %w", err)
	}
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("tour: %w", err)
	}
	for i := range t.Stops {
		t.Stops[i].State = t.Defaults.merge(t.Stops[i].State)
	}
	return &t, nil
}

func (t *Tour) validate() error {
	if n := len(t.Stops); n < MinStops || n > MaxStops {
		return fmt.Errorf("%d stops: want %d to %d", n, MinStops, MaxStops)
	}
	d := t.Defaults
	if d.Op == "" || d.Method == "" || d.Sigma == nil || d.Step == "" || d.Compare == nil || d.Ratios == nil {
		return errors.New("defaults: want op, method, sigma, step, compare and ratios")
	}
	for _, l := range Langs {
		ui := t.UI[l]
		for name, verbs := range uiFormats {
			s, ok := ui[name]
			if !ok || s == "" {
				return fmt.Errorf("ui %s: no %q", l, name)
			}
			if err := checkFormat(s, verbs); err != nil {
				return fmt.Errorf("ui %s %q: %w", l, name, err)
			}
		}
	}
	if err := d.validate(); err != nil {
		return fmt.Errorf("defaults: %w", err)
	}
	seen := map[string]bool{}
	for i, s := range t.Stops {
		where := fmt.Sprintf("stop %d (%s)", i+1, s.ID)
		if s.ID == "" || seen[s.ID] {
			return fmt.Errorf("stop %d: empty or repeated id %q", i+1, s.ID)
		}
		seen[s.ID] = true
		if err := s.State.validate(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if !slices.Contains(exactKinds, s.Exact) {
			return fmt.Errorf("%s: exact %q: want one of %q", where, s.Exact, exactKinds)
		}
		if len(s.Keys) > 3 {
			return fmt.Errorf("%s: %d keys: want at most 3", where, len(s.Keys))
		}
		for _, k := range s.Keys {
			for _, l := range Langs {
				if t.UI[l]["key."+k] == "" {
					return fmt.Errorf("%s: key %q has no ui %s label \"key.%s\"", where, k, l, k)
				}
			}
		}
		for _, l := range Langs {
			tx, ok := s.Text[l]
			if !ok || tx.Title == "" || tx.Formula == "" || tx.Body == "" {
				return fmt.Errorf("%s: no %s title, formula and body", where, l)
			}
		}
		if len(s.Text) != len(Langs) {
			return fmt.Errorf("%s: %d languages, want %d", where, len(s.Text), len(Langs))
		}
	}
	return nil
}

// validate checks the values a state sets (those it leaves unset are the defaults').
func (s State) validate() error {
	if s.Method != "" {
		if _, err := method.Lookup(s.Method); err != nil {
			return err
		}
	}
	if s.Partner != "" {
		if _, err := method.Lookup(s.Partner); err != nil {
			return fmt.Errorf("partner: %w", err)
		}
	}
	if s.Sigma != nil && (*s.Sigma < 0 || *s.Sigma > 1) {
		return fmt.Errorf("sigma %v: want 0 to 1", *s.Sigma)
	}
	for name, v := range s.Params {
		p, err := method.LookupParam(name)
		if err != nil {
			return err
		}
		if _, err := p.Parse(v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if s.Step != "" {
		if _, err := ParseStep(s.Step, 1000); err != nil {
			return err
		}
	}
	return nil
}

// merge returns s with the unset fields of d.
func (d State) merge(s State) State {
	out := d
	if s.Op != "" {
		out.Op = s.Op
	}
	if s.Method != "" {
		out.Method = s.Method
	}
	if s.Sigma != nil {
		out.Sigma = s.Sigma
	}
	out.Params = map[string]string{}
	for k, v := range d.Params {
		out.Params[k] = v
	}
	for k, v := range s.Params {
		out.Params[k] = v
	}
	if s.Step != "" {
		out.Step = s.Step
	}
	if s.Compare != nil {
		out.Compare = s.Compare
	}
	if s.Partner != "" {
		out.Partner = s.Partner
	}
	if s.Ratios != nil {
		out.Ratios = s.Ratios
	}
	return out
}

// ParseStep returns the step index (0-based) a step spec names among
// total steps: "first", "last", "N" (1-based) or "N%" of the way through.
func ParseStep(spec string, total int) (int, error) {
	total = max(total, 1)
	switch s := strings.TrimSpace(spec); {
	case s == "first":
		return 0, nil
	case s == "last":
		return total - 1, nil
	case strings.HasSuffix(s, "%"):
		p, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || !(p >= 0 && p <= 100) {
			return 0, fmt.Errorf("step %q: want a percentage from 0%% to 100%%", spec)
		}
		return min(int(p/100*float64(total-1)+0.5), total-1), nil
	default:
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("step %q: want first, last, N ≥ 1 or N%%", spec)
		}
		return min(n, total) - 1, nil
	}
}

// Commands are the explorer's prompt commands that set a stop's problem
// and method, in order: operator, method, σ, its parameters (by name, in
// order), then the step.
func (s Stop) Commands() []string {
	cmds := []string{"op " + s.Op, "method " + s.Method, "σ " + strconv.FormatFloat(*s.Sigma, 'g', -1, 64)}
	names := make([]string, 0, len(s.Params))
	for n := range s.Params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cmds = append(cmds, n+" "+s.Params[n])
	}
	return append(cmds, "step "+s.Step)
}

// TextIn returns the stop's words in a language (English when it has none).
func (s Stop) TextIn(l Lang) Text {
	if t, ok := s.Text[l]; ok {
		return t
	}
	return s.Text[En]
}

// Label returns a UI label in a language (English when it has none).
func (t *Tour) Label(l Lang, name string) string {
	if s, ok := t.UI[l][name]; ok {
		return s
	}
	return t.UI[En][name]
}
