package coding

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

// exampleConfusion has rows the true stance, columns the predicted one.
//
//	true \ predicted   S   C   N | total
//	support           40   5   5 |  50
//	criticism          4  24   2 |  30
//	neutral            6   6   8 |  20
//	total             50  35  15 | 100
var exampleConfusion = [nClass][nClass]int{{40, 5, 5}, {4, 24, 2}, {6, 6, 8}}

// itemsOf makes coded items with the confusion's counts; pi gives each
// predicted class's inclusion probability (and stratum).
func itemsOf(conf [nClass][nClass]int, pi [nClass]float64) []Item {
	var items []Item
	for t := range nClass {
		for p := range nClass {
			for range conf[t][p] {
				items = append(items, Item{
					ID: fmt.Sprintf("i%d", len(items)), Truth: reaction.Stances[t], Predicted: reaction.Stances[p],
					Pi: pi[p], Stratum: string(reaction.Stances[p]),
				})
			}
		}
	}
	return items
}

func TestValidateMetrics(t *testing.T) {
	near := func(t *testing.T, name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %.6f, want %.6f", name, got, want)
		}
	}
	t.Run("unweighted", func(t *testing.T) {
		v, err := Validate(itemsOf(exampleConfusion, [nClass]float64{0.5, 0.5, 0.5}), Options{Replicates: 400})
		if err != nil {
			t.Fatal(err)
		}
		if v.N != 100 || v.Confusion.Counts != exampleConfusion {
			t.Errorf("n %d, confusion %v", v.N, v.Confusion.Counts)
		}
		// Accuracy (40 + 24 + 8)/100. Precision TP/column, recall TP/row,
		// F1 = 2TP/(2TP + FP + FN): support 80/100, criticism 48/65,
		// neutral 16/35.
		near(t, "accuracy", v.Accuracy, 0.72)
		want := []struct{ p, r, f float64 }{{40.0 / 50, 40.0 / 50, 0.8}, {24.0 / 35, 24.0 / 30, 48.0 / 65}, {8.0 / 15, 8.0 / 20, 16.0 / 35}}
		for c, w := range want {
			m := v.PerClass[c]
			near(t, string(m.Stance)+" precision", m.Precision, w.p)
			near(t, string(m.Stance)+" recall", m.Recall, w.r)
			near(t, string(m.Stance)+" F1", m.F1, w.f)
		}
		near(t, "macro-F1", v.MacroF1, (0.8+48.0/65+16.0/35)/3)
		if v.PerClass[1].N != 30 {
			t.Errorf("criticism n %d, want 30", v.PerClass[1].N)
		}
		for name, ci := range map[string][3]float64{
			"accuracy":   {v.AccuracyCI[0], v.Accuracy, v.AccuracyCI[1]},
			"macro-F1":   {v.MacroF1CI[0], v.MacroF1, v.MacroF1CI[1]},
			"F1 neutral": {v.PerClass[2].F1CI[0], v.PerClass[2].F1, v.PerClass[2].F1CI[1]},
		} {
			if !(ci[0] < ci[1] && ci[1] < ci[2]) || ci[2]-ci[0] > 0.4 {
				t.Errorf("%s interval (%.3f, %.3f) around %.3f", name, ci[0], ci[2], ci[1])
			}
		}
		// The binomial interval of an accuracy of 0.72 on 100 items is
		// about ±0.09; a stratified bootstrap is a little narrower.
		if w := v.AccuracyCI[1] - v.AccuracyCI[0]; w < 0.12 || w > 0.2 {
			t.Errorf("accuracy interval width %.3f, want about 0.16", w)
		}
	})
	t.Run("design-weighted", func(t *testing.T) {
		// Items predicted support were sampled at π = 0.25, the others at
		// π = 1: the support column weighs 4 per item. Weighted total
		// 4·50 + 35 + 15 = 250, right 4·40 + 24 + 8 = 192.
		v, err := Validate(itemsOf(exampleConfusion, [nClass]float64{0.25, 1, 1}), Options{Replicates: 200})
		if err != nil {
			t.Fatal(err)
		}
		if v.Confusion.Weighted[0] != [nClass]float64{160, 5, 5} || v.Confusion.Weighted[2] != [nClass]float64{24, 6, 8} {
			t.Errorf("weighted confusion %v", v.Confusion.Weighted)
		}
		near(t, "accuracy", v.Accuracy, 192.0/250)
		// Support: precision 160/(160+16+24), recall 160/170.
		near(t, "support precision", v.PerClass[0].Precision, 160.0/200)
		near(t, "support recall", v.PerClass[0].Recall, 160.0/170)
	})
}

func TestValidateItems(t *testing.T) {
	items := itemsOf(exampleConfusion, [nClass]float64{0.5, 0.5, 0.5})
	items[0].Truth = Unclear
	v, err := Validate(items, Options{Replicates: 100})
	if err != nil {
		t.Fatal(err)
	}
	if v.N != 99 || v.NUnclear != 1 {
		t.Errorf("n %d unclear %d, want 99 1", v.N, v.NUnclear)
	}
	again, _ := Validate(items, Options{Replicates: 100})
	if again.MacroF1CI != v.MacroF1CI {
		t.Errorf("the same items gave intervals %v and %v", v.MacroF1CI, again.MacroF1CI)
	}
	for _, tc := range []struct {
		edit func(*Item)
		want string
	}{
		{func(it *Item) { it.Pi = 0 }, `item "i0": inclusion probability 0`},
		{func(it *Item) { it.Pi = 1.5 }, `inclusion probability 1.5`},
		{func(it *Item) { it.Predicted = "" }, `item "i0": predicted stance ""`},
		{func(it *Item) { it.Truth = "maybe" }, `item "i0": code "maybe"`},
	} {
		bad := []Item{items[1]}
		bad[0].ID = "i0"
		tc.edit(&bad[0])
		if _, err := Validate(bad, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
	if _, err := Validate([]Item{{ID: "x", Predicted: reaction.Support, Truth: Unclear, Pi: 1}}, Options{}); err != ErrNoCodes {
		t.Errorf("only unclear codes: %v, want ErrNoCodes", err)
	}
}

func TestFold(t *testing.T) {
	const k, n = 5, 5000
	var sizes [k]int
	for i := range n {
		id := fmt.Sprintf("mastodon:%d", i)
		f := Fold(id, k)
		if f != Fold(id, k) || f < 0 || f >= k {
			t.Fatalf("Fold(%q) = %d", id, f)
		}
		sizes[f]++
	}
	for f, s := range sizes {
		if math.Abs(float64(s)-n/k) > 4*math.Sqrt(n/k) {
			t.Errorf("fold %d has %d of %d items", f, s, n)
		}
	}
	if Fold("x", 1) != 0 || Fold("x", 0) != 0 {
		t.Error("one fold is not fold 0")
	}
}
