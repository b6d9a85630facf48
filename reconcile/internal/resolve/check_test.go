package resolve

// The project allows testify in tests, but go.sum does not yet list the
// modules its assert package imports, so it does not build. These stand in
// for the few testify checks the tests use, with the same names and argument
// order, so that switching back is a change of imports.

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

type checker struct{ fatal bool }

var (
	assert  = checker{fatal: false}
	require = checker{fatal: true}
)

func (c checker) fail(t testing.TB, args []any, format string, a ...any) {
	t.Helper()
	m := fmt.Sprintf(format, a...)
	if len(args) > 0 {
		if f, ok := args[0].(string); ok {
			m = fmt.Sprintf(f, args[1:]...) + ": " + m
		} else {
			m = fmt.Sprint(args...) + ": " + m
		}
	}
	if c.fatal {
		t.Fatal(m)
	}
	t.Error(m)
}

func (c checker) Equal(t testing.TB, want, got any, args ...any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		c.fail(t, args, "got %v, want %v", got, want)
	}
}

func (c checker) NotEqual(t testing.TB, want, got any, args ...any) {
	t.Helper()
	if reflect.DeepEqual(want, got) {
		c.fail(t, args, "got %v, want something else", got)
	}
}

func (c checker) True(t testing.TB, ok bool, args ...any) {
	t.Helper()
	if !ok {
		c.fail(t, args, "got false, want true")
	}
}

func (c checker) False(t testing.TB, ok bool, args ...any) {
	t.Helper()
	if ok {
		c.fail(t, args, "got true, want false")
	}
}

func (c checker) Len(t testing.TB, x any, n int, args ...any) {
	t.Helper()
	if l := reflect.ValueOf(x).Len(); l != n {
		c.fail(t, args, "len = %d, want %d: %v", l, n, x)
	}
}

func (c checker) Empty(t testing.TB, x any, args ...any) {
	t.Helper()
	v := reflect.ValueOf(x)
	if x != nil && !v.IsZero() && !(v.Kind() == reflect.Slice || v.Kind() == reflect.Map) || (v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.Len() > 0 {
		c.fail(t, args, "got %v, want empty", x)
	}
}

func (c checker) ElementsMatch(t testing.TB, want, got []uint32, args ...any) {
	t.Helper()
	w, g := slices.Clone(want), slices.Clone(got)
	slices.Sort(w)
	slices.Sort(g)
	if !slices.Equal(w, g) {
		c.fail(t, args, "got %v, want the elements of %v", got, want)
	}
}
