package tui

import (
	"reflect"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"

	"tweedie/core/method"
)

// TestKeysDoNotClash: every key the explorer binds, its own and the
// methods' parameter keys from the registry, means one thing. (Register
// refuses a key that two parameters take; the explorer's own keys are
// known here only.)
func TestKeysDoNotClash(t *testing.T) {
	km := DefaultKeyMap()
	owner := map[string]string{}
	bind := func(name string, b key.Binding) {
		for _, k := range b.Keys() {
			if prev, ok := owner[k]; ok && prev != name {
				t.Errorf("key %q is both %s and %s", k, prev, name)
			}
			owner[k] = name
		}
	}
	v := reflect.ValueOf(km)
	for i := 0; i < v.NumField(); i++ {
		if b, ok := v.Field(i).Interface().(key.Binding); ok {
			bind(v.Type().Field(i).Name, b)
		}
	}
	if len(km.Params) == 0 {
		t.Fatal("no parameter keys from the registry")
	}
	for _, p := range km.Params {
		bind(p.Param.Name+" down", p.Down)
		bind(p.Param.Name+" up", p.Up)
		bind(p.Param.Name+" auto", p.Auto)
	}
	// Every registered method's keys are among them.
	for _, m := range method.All() {
		for _, p := range m.Params {
			for _, k := range p.Keys() {
				if owner[k] == "" || !strings.HasPrefix(owner[k], p.Name+" ") {
					t.Errorf("%s's parameter %s: key %q is bound to %q", m.Name, p.Name, k, owner[k])
				}
			}
		}
	}
}
