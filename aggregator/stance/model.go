package stance

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/reactions-research/reactions/reaction"
)

// classes is the order of the model's outputs.
var classes = [3]reaction.Stance{reaction.Support, reaction.Criticism, reaction.Neutral}

func classIndex(s reaction.Stance) int {
	for i, c := range classes {
		if c == s {
			return i
		}
	}
	return -1
}

// Model is a trained multinomial logistic regression over hashed features.
// A Model is immutable once trained or loaded.
type Model struct {
	// Meta describes how the model was made; it is stored in the model file.
	Meta ModelMeta
	// w holds 3 weights per feature bucket: w[3*bucket+class].
	w []float32
	// scale is the int16 quantisation step of w.
	scale float32
	// hash is the SHA-256 of the encoded model (set by encode/decode).
	hash [32]byte
}

// ModelMeta describes a model: its feature layout and training.
type ModelMeta struct {
	// Format is the model file format version.
	Format int `json:"format"`
	// FeatureVersion is the feature extraction version the model needs.
	FeatureVersion int `json:"feature_version"`
	// Kind names the learner, e.g. "lr".
	Kind string `json:"kind"`
	// Bits is log2 of the number of hashed feature buckets.
	Bits int `json:"bits"`
	// Features is the feature configuration used to train the model.
	Features FeatureConfig `json:"features"`
	// Examples is the number of training examples.
	Examples int `json:"examples"`
	// Options are the training options.
	Options TrainOptions `json:"options"`
	// Sources names the training files, for the record.
	Sources []string `json:"sources,omitempty"`
	// StoryCodes is set when the model was trained on a story's own final
	// codes: validating it on those codes then needs the out-of-fold
	// predictions of its cross-fitting, not its own labels.
	StoryCodes *StoryCodes `json:"story_codes,omitempty"`
}

// StoryCodes describes training on a story's own final (hand-coded)
// codes.
type StoryCodes struct {
	// Story is the story id.
	Story string `json:"story"`
	// Codes is the number of its final codes trained on.
	Codes int `json:"codes"`
	// Folds is the k of the cross-fitting whose out-of-fold predictions
	// validate the model.
	Folds int `json:"folds"`
	// Builtin reports whether the built-in data was trained on too.
	Builtin bool `json:"builtin"`
}

const (
	modelMagic  = "STANCEM1"
	modelFormat = 1
)

// mask returns the bucket mask.
func (m *Model) mask() uint64 { return 1<<uint(m.Meta.Bits) - 1 }

// Hash returns the first 8 hex digits of the SHA-256 of the encoded model.
func (m *Model) Hash() string { return hex.EncodeToString(m.hash[:4]) }

// WriteTo writes the model in its file format: gzip of a magic string, a JSON
// header and the weights quantised to int16 with one float32 scale.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	b, err := m.encode()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// Save writes the model to path.
func (m *Model) Save(path string) error {
	b, err := m.encode()
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return nil
}

func (m *Model) encode() ([]byte, error) {
	var raw bytes.Buffer
	raw.WriteString(modelMagic)
	meta := m.Meta
	meta.Format = modelFormat
	hdr, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	_ = binary.Write(&raw, binary.LittleEndian, uint32(len(hdr)))
	raw.Write(hdr)
	scale := m.scale
	if scale == 0 {
		scale = quantScale(m.w)
	}
	_ = binary.Write(&raw, binary.LittleEndian, scale)
	_ = binary.Write(&raw, binary.LittleEndian, uint32(len(m.w)))
	q := make([]byte, 2*len(m.w))
	for i, v := range m.w {
		binary.LittleEndian.PutUint16(q[2*i:], uint16(int16(math.Round(float64(v/scale)))))
	}
	raw.Write(q)
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	return out.Bytes(), nil
}

// finalize quantises the weights the way the file format stores them, so that
// a model and its reloaded copy classify identically, and sets the hash.
func (m *Model) finalize() error {
	scale := quantScale(m.w)
	m.scale = scale
	for i, v := range m.w {
		m.w[i] = float32(int16(math.Round(float64(v/scale)))) * scale
	}
	b, err := m.encode()
	if err != nil {
		return err
	}
	m.hash = sha256.Sum256(b)
	return nil
}

// quantScale is the int16 quantisation step for weights w.
func quantScale(w []float32) float32 {
	var maxAbs float32
	for _, v := range w {
		if a := float32(math.Abs(float64(v))); a > maxAbs {
			maxAbs = a
		}
	}
	if maxAbs == 0 {
		return 1
	}
	return maxAbs / 32767
}

// ReadModel reads a model written by Save or WriteTo.
func ReadModel(r io.Reader) (*Model, error) {
	all, err := io.ReadAll(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	return decodeModel(all)
}

func decodeModel(b []byte) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read model: not a stance model: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	if len(raw) < len(modelMagic)+4 || string(raw[:len(modelMagic)]) != modelMagic {
		return nil, errors.New("read model: not a stance model (bad magic)")
	}
	p := raw[len(modelMagic):]
	hl := binary.LittleEndian.Uint32(p)
	p = p[4:]
	if uint64(hl) > uint64(len(p)) {
		return nil, errors.New("read model: truncated header")
	}
	m := &Model{}
	if err := json.Unmarshal(p[:hl], &m.Meta); err != nil {
		return nil, fmt.Errorf("read model header: %w", err)
	}
	p = p[hl:]
	if m.Meta.Format != modelFormat {
		return nil, fmt.Errorf("read model: format %d, want %d", m.Meta.Format, modelFormat)
	}
	if m.Meta.FeatureVersion != featureVersion {
		return nil, fmt.Errorf("read model: trained for feature version %d, this build extracts version %d; retrain it", m.Meta.FeatureVersion, featureVersion)
	}
	if m.Meta.Bits < 10 || m.Meta.Bits > 24 {
		return nil, fmt.Errorf("read model: bad bucket bits %d", m.Meta.Bits)
	}
	if len(p) < 8 {
		return nil, errors.New("read model: truncated weights")
	}
	scale := math.Float32frombits(binary.LittleEndian.Uint32(p))
	n := binary.LittleEndian.Uint32(p[4:])
	p = p[8:]
	if want := uint32(3) << uint(m.Meta.Bits); n != want {
		return nil, fmt.Errorf("read model: %d weights, want %d", n, want)
	}
	if uint64(len(p)) != 2*uint64(n) {
		return nil, errors.New("read model: truncated weights")
	}
	m.scale = scale
	m.w = make([]float32, n)
	for i := range m.w {
		m.w[i] = float32(int16(binary.LittleEndian.Uint16(p[2*i:]))) * scale
	}
	m.hash = sha256.Sum256(b)
	return m, nil
}

// scores returns the class logits for the features collected in sc; a
// scratch with the model's weights computes the same logits while extracting.
func (m *Model) scores(sc *scratch) [3]float32 {
	var z [3]float32
	mask := m.mask()
	w := m.w
	for i, f := range sc.feats {
		b := 3 * (f & mask)
		v := sc.vals[i]
		ws := w[b : b+3 : b+3]
		z[0] += float32(ws[0] * v)
		z[1] += float32(ws[1] * v)
		z[2] += float32(ws[2] * v)
	}
	return z
}

// softmax turns logits into probabilities.
func softmax(z [3]float32) [3]float64 {
	mx := max(z[0], z[1], z[2])
	var p [3]float64
	var s float64
	for k := range z {
		p[k] = math.Exp(float64(z[k] - mx))
		s += p[k]
	}
	for k := range p {
		p[k] /= s
	}
	return p
}
