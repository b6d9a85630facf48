package idfile_test

// The project allows testify in tests, but go.sum does not yet list the
// modules its assert package imports, so it does not build. These stand in
// for the few testify checks the tests use, with the same names and
// argument order, so that switching back is a change of imports.

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

type checker struct{ fatal bool }

var (
	assert  = checker{fatal: false}
	require = checker{fatal: true}
)

func (c checker) fail(t testing.TB, msg string, msgAndArgs []any) bool {
	t.Helper()
	if len(msgAndArgs) > 0 {
		if f, ok := msgAndArgs[0].(string); ok {
			msg += ": " + fmt.Sprintf(f, msgAndArgs[1:]...)
		} else {
			msg += ": " + fmt.Sprint(msgAndArgs...)
		}
	}
	if c.fatal {
		t.Fatal(msg)
	}
	t.Error(msg)
	return false
}

func (c checker) Equal(t testing.TB, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		return c.fail(t, fmt.Sprintf("got %#v, want %#v", got, want), msgAndArgs)
	}
	return true
}

func (c checker) NoError(t testing.TB, err error, msgAndArgs ...any) bool {
	t.Helper()
	if err != nil {
		return c.fail(t, fmt.Sprintf("unexpected error: %v", err), msgAndArgs)
	}
	return true
}

func (c checker) Error(t testing.TB, err error, msgAndArgs ...any) bool {
	t.Helper()
	if err == nil {
		return c.fail(t, "got no error, want one", msgAndArgs)
	}
	return true
}

func (c checker) ErrorIs(t testing.TB, err, target error, msgAndArgs ...any) bool {
	t.Helper()
	if !errors.Is(err, target) {
		return c.fail(t, fmt.Sprintf("error %v is not %v", err, target), msgAndArgs)
	}
	return true
}

func (c checker) ErrorAs(t testing.TB, err error, target any, msgAndArgs ...any) bool {
	t.Helper()
	if !errors.As(err, target) {
		return c.fail(t, fmt.Sprintf("error %v is not a %T", err, target), msgAndArgs)
	}
	return true
}

func (c checker) True(t testing.TB, v bool, msgAndArgs ...any) bool {
	t.Helper()
	if !v {
		return c.fail(t, "got false, want true", msgAndArgs)
	}
	return true
}

func (c checker) False(t testing.TB, v bool, msgAndArgs ...any) bool {
	t.Helper()
	if v {
		return c.fail(t, "got true, want false", msgAndArgs)
	}
	return true
}

func (c checker) Len(t testing.TB, v any, n int, msgAndArgs ...any) bool {
	t.Helper()
	if l := reflect.ValueOf(v).Len(); l != n {
		return c.fail(t, fmt.Sprintf("length %d, want %d: %v", l, n, v), msgAndArgs)
	}
	return true
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Slice, reflect.Map, reflect.String, reflect.Array, reflect.Chan:
		return r.Len() == 0
	}
	return r.IsZero()
}

func (c checker) Empty(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if !isEmpty(v) {
		return c.fail(t, fmt.Sprintf("%v is not empty", v), msgAndArgs)
	}
	return true
}

func (c checker) NotEmpty(t testing.TB, v any, msgAndArgs ...any) bool {
	t.Helper()
	if isEmpty(v) {
		return c.fail(t, "value is empty", msgAndArgs)
	}
	return true
}

func lessOrEqual[T cmp.Ordered](c checker, t testing.TB, a, b T, msgAndArgs ...any) bool {
	t.Helper()
	if a > b {
		return c.fail(t, fmt.Sprintf("%v is not <= %v", a, b), msgAndArgs)
	}
	return true
}

func less[T cmp.Ordered](c checker, t testing.TB, a, b T, msgAndArgs ...any) bool {
	t.Helper()
	if a >= b {
		return c.fail(t, fmt.Sprintf("%v is not < %v", a, b), msgAndArgs)
	}
	return true
}
