package reconcile

import (
	"testing"
	"time"

	"github.com/idbits/idbits/idtypes"
	"github.com/stretchr/testify/require"
)

func TestRulesValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules Rules
		ok    bool
	}{
		{"zero", Rules{}, true},
		{"typical", Rules{Unique: []idtypes.Namespace{idtypes.CRMID}, Priority: []idtypes.Namespace{idtypes.CRMID, idtypes.Email}, MaxIdentities: 50}, true},
		{"max per record limit", Rules{MaxPerRecord: MaxRecordLimit}, true},
		{"unique twice", Rules{Unique: []idtypes.Namespace{idtypes.CRMID, idtypes.CRMID}}, false},
		{"priority twice", Rules{Priority: []idtypes.Namespace{idtypes.ECID, idtypes.Email, idtypes.ECID}}, false},
		{"zero namespace", Rules{Unique: []idtypes.Namespace{0}}, false},
		{"undeclared namespace", Rules{Priority: []idtypes.Namespace{9999}}, false},
		{"negative cap", Rules{MaxIdentities: -1}, false},
		{"negative per record", Rules{MaxPerRecord: -1}, false},
		{"per record too large", Rules{MaxPerRecord: MaxRecordLimit + 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rules.Validate()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrRules)
			g := NewGraph(tc.rules)
			require.ErrorIs(t, g.Link(t0, ecid(1)), ErrRules)
			_, err = g.LinkMany(&Batch{})
			require.ErrorIs(t, err, ErrRules)
			_, err = g.Erase(ecid(1))
			require.ErrorIs(t, err, ErrRules)
			_, err = g.Simulate()
			require.ErrorIs(t, err, ErrRules)
			require.Equal(t, 0, g.View().Len())
			_, err = LoadGraph(NewDictionary(), tc.rules, func(func(time.Time, []uint32) bool) {})
			require.ErrorIs(t, err, ErrRules)
		})
	}
}

func TestRulesPriorityOrder(t *testing.T) {
	custom, err := idtypes.DeclareNamespace("LoyaltyTest")
	require.NoError(t, err)
	rs := newRuleSet(Rules{Priority: []idtypes.Namespace{idtypes.Email, idtypes.CRMID}})
	order := []idtypes.Namespace{idtypes.Email, idtypes.CRMID, idtypes.EmailSHA256, idtypes.Phone, custom, idtypes.ECID, idtypes.AAMUUID, idtypes.GAID}
	for i := range order {
		for j := range order {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := rs.compareNS(order[i], order[j]); got != want {
				t.Errorf("compareNS(%v, %v) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	require.Equal(t, "unique", RuleUnique.String())
	require.Equal(t, "max-identities", RuleMaxIdentities.String())
}

func TestRulesCopied(t *testing.T) {
	r := Rules{Unique: []idtypes.Namespace{idtypes.CRMID}}
	g := NewGraph(r)
	r.Unique[0] = idtypes.Email
	require.Equal(t, []idtypes.Namespace{idtypes.CRMID}, g.Rules().Unique)
	g.Rules().Unique[0] = idtypes.Email
	require.Equal(t, []idtypes.Namespace{idtypes.CRMID}, g.Rules().Unique)
}
