package tui

import (
	"charm.land/bubbles/v2/key"

	"tweedie/core/method"
)

// KeyMap is every key of the explorer. Bindings that do nothing in the
// current state are disabled, so help never lists them.
type KeyMap struct {
	Prev, Next         key.Binding // one step
	Prev10, Next10     key.Binding
	Prev100, Next100   key.Binding
	First, Last        key.Binding
	Play               key.Binding
	Faster, Slower     key.Binding
	Method             key.Binding
	SigmaDown, SigmaUp key.Binding
	// Params are the keys of the methods' parameters, from the registry.
	Params    []ParamKeys
	Operator  key.Binding
	NextImage key.Binding
	PrevImage key.Binding
	Reseed    key.Binding
	Compare   key.Binding
	Partner   key.Binding // the next method to compare with
	RunScale  key.Binding // Δ scaled per step or over the whole run
	Lab       key.Binding
	Snapshot  key.Binding // write the step shown as a PNG
	Prompt    key.Binding // type a step, t, σ or a parameter's value
	Chart     key.Binding // the chart's norms or their ratios to the exact ones
	Graphics  key.Binding
	// The guided tour (tour.go): t opens or closes it, the others move
	// between its stops and leave it (enabled while it is open).
	Tour, TourNext, TourPrev, TourLeave key.Binding
	Help                                key.Binding
	Quit                                key.Binding
}

// ParamKeys are the keys of one method parameter: a step down and up its
// ladder, and "auto" where it has one.
type ParamKeys struct {
	Param          *method.Param
	Down, Up, Auto key.Binding
}

// paramKeys are the keys of every registered parameter that has keys.
func paramKeys() []ParamKeys {
	var ks []ParamKeys
	for _, p := range method.Params() {
		if p.Down == "" {
			continue
		}
		k := ParamKeys{Param: p,
			Down: key.NewBinding(key.WithKeys(p.Down), key.WithHelp(p.Down, p.DownHelp)),
			Up:   key.NewBinding(key.WithKeys(p.Up), key.WithHelp(p.Up, p.UpHelp)),
		}
		if p.AutoKey != "" {
			k.Auto = key.NewBinding(key.WithKeys(p.AutoKey), key.WithHelp(p.AutoKey, p.Symbol+" auto"))
		} else {
			k.Auto.SetEnabled(false)
		}
		ks = append(ks, k)
	}
	return ks
}

// DefaultKeyMap returns the explorer's keys.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return KeyMap{
		Prev:      b([]string{"left", "h"}, "←", "step back"),
		Next:      b([]string{"right"}, "→", "step on"),
		Prev10:    b([]string{"["}, "[", "back 10"),
		Next10:    b([]string{"]"}, "]", "on 10"),
		Prev100:   b([]string{"pgup"}, "pgup", "back 100"),
		Next100:   b([]string{"pgdown"}, "pgdn", "on 100"),
		First:     b([]string{"home"}, "home", "first step"),
		Last:      b([]string{"end"}, "end", "last step"),
		Play:      b([]string{"space"}, "space", "play/pause"),
		Faster:    b([]string{"+", "="}, "+", "faster"),
		Slower:    b([]string{"-", "_"}, "-", "slower"),
		Method:    b([]string{"m"}, "m", "method"),
		SigmaDown: b([]string{"s"}, "s", "σ down"),
		SigmaUp:   b([]string{"S"}, "S", "σ up"),
		Params:    paramKeys(),
		Operator:  b([]string{"o"}, "o", "next operator"),
		NextImage: b([]string{"n"}, "n", "next image"),
		PrevImage: b([]string{"p"}, "p", "previous image"),
		Reseed:    b([]string{"e"}, "e", "reseed"),
		Compare:   b([]string{"c"}, "c", "compare"),
		Partner:   b([]string{"C"}, "C", "compare with the next method"),
		RunScale:  b([]string{"f"}, "f", "Δ scale: whole run"),
		Lab:       b([]string{"l"}, "l", "lab"),
		Chart:     b([]string{"v"}, "v", "chart: ratios to exact"),
		Prompt:    b([]string{":"}, ":", "type step/t/σ/r/ζ…"),
		Snapshot:  b([]string{"P"}, "P", "snapshot PNG"),
		Graphics:  b([]string{"g"}, "g", "graphics mode"),
		Tour:      b([]string{"t"}, "t", "guided tour"),
		TourNext:  b([]string{"tab", "."}, "tab", "next stop"),
		TourPrev:  b([]string{"shift+tab", ","}, "⇧tab", "previous stop"),
		TourLeave: b([]string{"esc"}, "esc", "leave the tour"),
		Help:      b([]string{"?"}, "?", "more keys"),
		Quit:      b([]string{"q", "ctrl+c"}, "q", "quit"),
	}
}

// ShortHelp is the one-line help bar.
func (k KeyMap) ShortHelp() []key.Binding {
	bs := []key.Binding{k.TourNext, k.TourPrev, k.TourLeave, k.Prev, k.Next, k.Play, k.Method, k.SigmaDown}
	for _, p := range k.Params {
		bs = append(bs, p.Down)
	}
	return append(bs, k.Compare, k.Lab, k.Help, k.Quit)
}

// FullHelp is the help shown by '?'.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Prev, k.Next, k.Prev10, k.Next10, k.Prev100, k.Next100, k.First, k.Last},
		{k.Play, k.Faster, k.Slower, k.Method, k.Compare, k.Partner, k.RunScale, k.Lab, k.Reseed},
		k.valueKeys(),
		{k.Prompt, k.Snapshot, k.Operator, k.NextImage, k.PrevImage, k.Chart, k.Graphics, k.Help, k.Quit},
		{k.Tour, k.TourNext, k.TourPrev, k.TourLeave},
	}
}

// valueKeys are σ's keys and the parameters'.
func (k KeyMap) valueKeys() []key.Binding {
	bs := []key.Binding{k.SigmaDown, k.SigmaUp}
	for _, p := range k.Params {
		bs = append(bs, p.Down, p.Up, p.Auto)
	}
	return bs
}
