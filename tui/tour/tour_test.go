package tour

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLoadEmbedded(t *testing.T) {
	tr, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tr.Stops); n < MinStops || n > MaxStops {
		t.Fatalf("%d stops", n)
	}
	for i, s := range tr.Stops {
		for _, l := range Langs {
			tx := s.TextIn(l)
			if tx.Title == "" || tx.Body == "" || tx.Formula == "" {
				t.Errorf("stop %d %s: empty text", i+1, l)
			}
		}
		if s.Sigma == nil || s.Op == "" || s.Method == "" || s.Step == "" || s.Compare == nil || s.Ratios == nil {
			t.Errorf("stop %d: defaults not merged: %+v", i+1, s.State)
		}
		cmds := s.Commands()
		if cmds[0] != "op "+s.Op || cmds[1] != "method "+s.Method || !strings.HasPrefix(cmds[len(cmds)-1], "step ") {
			t.Errorf("stop %d: commands %q", i+1, cmds)
		}
	}
	// The Chinese texts are Chinese: they hold CJK characters.
	for i, s := range tr.Stops {
		if !strings.ContainsFunc(s.Text[Zh].Body, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("stop %d: zh body has no CJK character", i+1)
		}
	}
}

// mutate parses the embedded file, changes it and returns Parse's error.
func mutate(t *testing.T, f func(map[string]any)) error {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(stopsJSON, &raw); err != nil {
		t.Fatal(err)
	}
	f(raw)
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(b)
	return err
}

func stop(raw map[string]any, i int) map[string]any {
	return raw["stops"].([]any)[i].(map[string]any)
}

func TestParseRejects(t *testing.T) {
	for _, c := range []struct {
		name, want string
		f          func(map[string]any)
	}{
		{"no zh", "no zh", func(r map[string]any) { delete(stop(r, 2)["text"].(map[string]any), "zh") }},
		{"empty body", "no en", func(r map[string]any) {
			stop(r, 0)["text"].(map[string]any)["en"].(map[string]any)["body"] = ""
		}},
		{"unknown method", "unknown method", func(r map[string]any) { stop(r, 1)["method"] = "nope" }},
		{"bad step", "step", func(r map[string]any) { stop(r, 1)["step"] = "150%" }},
		{"bad param", "zeta", func(r map[string]any) { stop(r, 1)["params"] = map[string]any{"zeta": "-1"} }},
		{"unknown param", "unknown parameter", func(r map[string]any) { stop(r, 1)["params"] = map[string]any{"q": "1"} }},
		{"bad exact", "exact", func(r map[string]any) { stop(r, 1)["exact"] = "everything" }},
		{"too few stops", "stops", func(r map[string]any) { r["stops"] = r["stops"].([]any)[:3] }},
		{"repeated id", "repeated id", func(r map[string]any) { stop(r, 1)["id"] = stop(r, 0)["id"] }},
		{"unknown field", "unknown field", func(r map[string]any) { stop(r, 1)["colour"] = "red" }},
		{"format verbs", "verbs", func(r map[string]any) {
			r["ui"].(map[string]any)["zh"].(map[string]any)["final"] = "%s %s"
		}},
		{"format reuse", "used 2 times", func(r map[string]any) {
			r["ui"].(map[string]any)["en"].(map[string]any)["final"] = "%[1]s %[1]s %[3]s"
		}},
		{"missing label", "no \"next\"", func(r map[string]any) { delete(r["ui"].(map[string]any)["en"].(map[string]any), "next") }},
		{"sigma", "sigma", func(r map[string]any) { stop(r, 1)["sigma"] = 3.0 }},
	} {
		err := mutate(t, c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := Parse([]byte("{")); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func TestParseStep(t *testing.T) {
	for _, c := range []struct {
		spec  string
		total int
		want  int
	}{
		{"first", 100, 0}, {"last", 100, 99}, {"1", 100, 0}, {"40", 100, 39}, {"400", 100, 99},
		{"0%", 100, 0}, {"50%", 101, 50}, {"100%", 40, 39}, {"30%", 40, 12},
	} {
		got, err := ParseStep(c.spec, c.total)
		if err != nil || got != c.want {
			t.Errorf("ParseStep(%q, %d) = %d, %v; want %d", c.spec, c.total, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "0", "-3", "x", "101%", "NaN%", "1e9999%"} {
		if _, err := ParseStep(bad, 10); err == nil {
			t.Errorf("ParseStep(%q) accepted", bad)
		}
	}
}

func TestLang(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, c := range []struct {
		env  func(string) string
		want Lang
	}{
		{env(), En},
		{env("LANG", "zh_CN.UTF-8"), Zh},
		{env("LANG", "en_GB.UTF-8"), En},
		{env("LANG", "zh_CN.UTF-8", "LC_ALL", "C"), En},
		{env("LANG", "en_US.UTF-8", "LC_MESSAGES", "zh_TW.UTF-8"), Zh},
		{env("LC_ALL", "zh_HK", "LC_MESSAGES", "en_US"), Zh},
	} {
		if got := DetectLang(c.env); got != c.want {
			t.Errorf("DetectLang = %s, want %s", got, c.want)
		}
	}
	for _, s := range []string{"en", "zh", "ZH", " en "} {
		if _, err := ParseLang(s); err != nil {
			t.Errorf("ParseLang(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "fr", "zh_CN"} {
		if _, err := ParseLang(s); err == nil {
			t.Errorf("ParseLang(%q) accepted", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(stopsJSON)
	f.Add([]byte(`{"stops":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		tr, err := Parse(data)
		if err == nil {
			for _, s := range tr.Stops {
				_ = s.Commands()
			}
		}
	})
}
