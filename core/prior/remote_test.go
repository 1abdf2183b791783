package prior

import (
	"errors"
	"testing"
	"time"
)

func TestParseRemote(t *testing.T) {
	for _, c := range []struct {
		args, cmd string
		workers   int
		call      time.Duration
	}{
		{"python3 w.py --model unet", "python3 w.py --model unet", 1, 0},
		{"timeout=5s,workers=2:python3 w.py --model my.py:load", "python3 w.py --model my.py:load", 2, 5 * time.Second},
		// A command whose first part looks like no option stays whole.
		{"ssh box python3 w.py --model m.py:load", "ssh box python3 w.py --model m.py:load", 1, 0},
		{"env A=1 python3 w.py", "env A=1 python3 w.py", 1, 0},
	} {
		o, err := ParseRemote(c.args)
		if err != nil || o.Command != c.cmd || o.Workers != c.workers || o.Worker.Call != c.call {
			t.Errorf("ParseRemote(%q) = %+v, %v", c.args, o, err)
		}
	}
	for _, bad := range []string{"", "  ", "timeout=5s:", "timeout=x:cmd", "workers=0:cmd", "workers=100:cmd", "start=-1s:cmd"} {
		_, err := ParseRemote(bad)
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("ParseRemote(%q): %v, want a SpecError", bad, err)
		}
	}
}
