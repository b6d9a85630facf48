package reconcile

import (
	"strings"
	"testing"

	"github.com/idbits/idbits/reconcile/idfile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportRemembered checks that an import's audience is one its view
// remembers, with and without registering, so that joining it costs no
// check; and that what it remembers is right: the audience is made of the
// view's profiles.
func TestImportRemembered(t *testing.T) {
	g, v, _, _ := rememberWorld(t)
	lines := []string{ecid(0).Text(), ecid(4).Text(), ecid(7).Text(), "ECID:not-an-ecid"}

	im, err := ImportList(v, strings.NewReader(strings.Join(lines, "\n")), idfile.ListOptions{}, ImportOptions{})
	require.NoError(t, err)
	require.Equal(t, uint64(3), im.Audience.Len())
	assert.True(t, im.View.isKnown(im.Audience))
	assert.Equal(t, im.Audience.Len(), slowProject(v, im.Audience).Len(), "members are profiles of the view")

	fresh := ecid(1000)
	lines = append(lines, fresh.Text())
	im, err = ImportList(v, strings.NewReader(strings.Join(lines, "\n")), idfile.ListOptions{}, ImportOptions{Register: g})
	require.NoError(t, err)
	require.Equal(t, uint64(4), im.Audience.Len())
	require.NotSame(t, v, im.View)
	assert.True(t, im.View.isKnown(im.Audience))
	assert.False(t, v.isKnown(im.Audience), "the old view does not know the new profile")
	p, ok := im.View.Profile(fresh)
	require.True(t, ok)
	assert.True(t, im.Audience.Contains(uint32(p)))
}
