package cli

import (
	"slices"
	"testing"

	"github.com/spf13/cobra"
)

// TestNormalizeArgs: Go's single-dash long flags become POSIX ones for the
// command the words select; shorthands, values and words after "--" stay.
func TestNormalizeArgs(t *testing.T) {
	root := &cobra.Command{Use: "tweedie"}
	root.Flags().String("op", "", "")
	root.Flags().StringP("out", "o", "", "")
	root.Flags().Bool("json", false, "")
	root.Flags().BoolP("verbose", "v", false, "")
	root.PersistentFlags().String("config", "", "")
	prior := &cobra.Command{Use: "prior"}
	export := &cobra.Command{Use: "export", Run: func(*cobra.Command, []string) {}}
	export.Flags().String("prior", "", "")
	prior.AddCommand(export)
	root.AddCommand(prior)
	for _, c := range []struct{ in, want []string }{
		{[]string{"-op", "sr:factor=4", "-json"}, []string{"--op", "sr:factor=4", "--json"}},
		{[]string{"-op=sr", "-json=false"}, []string{"--op=sr", "--json=false"}},
		{[]string{"--op", "-json"}, []string{"--op", "-json"}}, // the value of --op
		{[]string{"-o", "-op"}, []string{"-o", "-op"}},         // the value of -o
		{[]string{"-ov"}, []string{"-ov"}},                     // shorthands
		{[]string{"--", "-op"}, []string{"--", "-op"}},         // after --
		{[]string{"-sigma", "1"}, []string{"-sigma", "1"}},     // no such flag: left to the parser
		{[]string{"prior", "export", "-prior", "x", "f.npz"}, []string{"prior", "export", "--prior", "x", "f.npz"}},
		{[]string{"prior", "export", "-config", "c"}, []string{"prior", "export", "--config", "c"}}, // inherited
	} {
		if got := NormalizeArgs(root, c.in); !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}
