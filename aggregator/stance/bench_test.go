package stance

import (
	"testing"
)

var benchTexts = []struct{ text, subject string }{
	{"Sending love to you both, truly. But posting those photos for millions of strangers was a mistake.", "Chrissy Teigen and John Legend"},
	{"The people calling this \"attention seeking\" are vile. A mother is grieving, leave her ALONE.", "Chrissy Teigen and John Legend"},
	{"Wow, so brave to share your most private moment with 30 million followers 🙄", "Chrissy Teigen and John Legend"},
	{"Kiara Dunmore withdraws from team final, USA Gymnastics cites \"medical issue\" https://t.co/Hx2rT9bKqL", "Kiara Dunmore (Olympic gymnast)"},
	{"Not a quitter. Never was. Never will be.", "Kiara Dunmore (Olympic gymnast)"},
	{"Los que critican que lo haya contado públicamente no tienen corazón. Déjenla en paz.", "Lucía Serrano (cantante)"},
	{"Comme par hasard, les excuses arrivent pile avant la sortie de l'album 🙄", "Julien Marchand (chanteur)"},
	{"Die Leute, die sie seit Tagen beleidigen, sollten sich schämen. Sie hat sich entschuldigt.", "Lena Hoffmann (Sängerin)"},
	{"Overhired in 2021 because growth was \"infinite\", told everyone on the earnings call things were great, fires 20% now, and then \"takes responsibility\" in a memo, which costs him absolutely nothing. No pay cut, no resignation, no change. Pathetic.", "Derek Halvorsen (CEO of Corvanta)"},
	{"love u chrissy 💕💕💕", "Chrissy Teigen and John Legend"},
}

// benchInputs returns the texts to benchmark on: the fixed examples above
// plus all built-in training texts (short and long, four languages).
func benchInputs(b *testing.B) []struct{ text, subject string } {
	in := append([]struct{ text, subject string }(nil), benchTexts...)
	ex, err := BuiltinExamples()
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ex {
		in = append(in, struct{ text, subject string }{e.Text, e.Subject})
	}
	return in
}

// BenchmarkClassify measures Classify on the built-in texts and reports
// texts/s. Run on one core with:
//
//	go test -run '^$' -bench Classify -benchmem -cpu 1 ./aggregator/stance/
func BenchmarkClassify(b *testing.B) {
	c := Default()
	in := benchInputs(b)
	for _, t := range in {
		c.Classify(t.text, t.subject) // warm the subject cache
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		t := in[i%len(in)]
		c.Classify(t.text, t.subject)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkClassifyParallel measures Classify from all cores at once.
func BenchmarkClassifyParallel(b *testing.B) {
	c := Default()
	in := benchInputs(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			t := in[i%len(in)]
			c.Classify(t.text, t.subject)
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}
