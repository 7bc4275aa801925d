"""The reproduction ledger: every number the lectures print, next to the book's own.

Each ``Entry`` names the chapter and the glue key of the book's value, the lecture's printed
value and what agreement to expect:

- ``exact``: equal at the lecture's printed digits (``digits`` decimals);
- ``tolerance``: within ``tol`` (an unseeded lecture run, or a changed setting);
- ``differs``: not comparable (e.g. sampled names after torch 2.0 changed multinomial); shown
  with its reason, never checked.

The ledger page (``book/ledger.md``) renders the table from the values the chapters glued, and
a row outside its tolerance is a build warning (so the ``-W`` build fails) as well as a test
failure (``tests/test_ledger.py``).

Every row and every printed log names its ``source``, where the lecture printed the value:

- ``nb:<repo>:<path>#<cell>``: the output of cell ``<cell>`` (0-based index into the
  notebook's ``cells``) of a notebook in ``karpathy/<repo>`` at the commit in ``COMMITS``;
  ``nb:<repo>:<path>#<cell>:md``: the text of a markdown cell;
- ``file:<repo>:<path>#L<line>``: a line of a README, test or other file of that repository;
- ``video:<youtube id>@<h:mm:ss>``: said or shown in the video at that time;
- ``url:<address>``: a page the lecture links (the exercise notebooks on Colab);
- ``run:<text>``: a run on this machine, described by the text;
- ``derived:<text>``: a number the lecture states by formula.

A row's ``note`` says what else is worth knowing about its source: another cell that printed
other numbers, or that only the section of the video is known. ``tests/test_ledger.py`` checks
every ``nb:`` and ``file:`` source against ``tests/data/lecture_outputs.json``, an extract of the
numbers those cells and lines printed.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

# The lecture repositories (github.com/karpathy/<repo>) at the commits the sources refer to.
COMMITS = {
    "nn-zero-to-hero": "73c3fcc741f0ec104ca850b1fb0df90e7e8d4cde",
    "makemore": "988aa59e4d8fefa526d06f3b453ad116258398d4",
    "micrograd": "c911406e5ace8742e5841a7e0df113ecb5d54685",
    "ng-video-lecture": "52201428ed7b46804849dea0b3ccf0de9df1a5c3",
    "minbpe": "1acefe89412b20245db5a22d2a02001e547dc602",
    "build-nanogpt": "6104ab1b53920f6e2159749676073ff7d815c1fa",
}

# The lecture videos a source may name, by YouTube id.
VIDEOS = {
    "VMj-3S1tku0": "building micrograd",
    "PaCmpygFfXo": "makemore part 1: bigrams",
    "TCH_1BHY58I": "makemore part 2: MLP",
    "P6sfmUTpUmc": "makemore part 3: activations, gradients, BatchNorm",
    "q8SA3rM6ckI": "makemore part 4: becoming a backprop ninja",
    "t3YJ5hKiMQ0": "makemore part 5: building a WaveNet",
    "kCc8FmEb1nY": "Let's build GPT",
    "zduSFxRajkE": "Let's build the GPT Tokenizer",
    "l8pRSuU81PU": "Let's reproduce GPT-2 (124M)",
}

KINDS = ("nb", "file", "video", "url", "run", "derived")


@dataclass(frozen=True)
class Source:
    """A parsed ``source`` string (see the module's docstring for the forms)."""

    kind: str
    repo: str = ""
    path: str = ""
    cell: int | None = None
    markdown: bool = False
    line: int | None = None
    video: str = ""
    seconds: int | None = None
    text: str = ""  # the time as written, the address, or the words of run:/derived:


_NB = re.compile(r"nb:([\w.-]+):([^#]+\.ipynb)#(\d+)(:md)?")
_FILE = re.compile(r"file:([\w.-]+):([^#]+)#L(\d+)")
_VIDEO = re.compile(r"video:([\w-]{11})@((?:\d+:)?\d{1,2}:\d{2})")


def parse_source(text: str) -> Source:
    """Parse a source string; a malformed one is a ``ValueError`` naming it."""
    kind = text.split(":", 1)[0]
    if (m := _NB.fullmatch(text)) and m[1] in COMMITS:
        return Source("nb", repo=m[1], path=m[2], cell=int(m[3]), markdown=bool(m[4]))
    if (m := _FILE.fullmatch(text)) and m[1] in COMMITS:
        return Source("file", repo=m[1], path=m[2], line=int(m[3]))
    if (m := _VIDEO.fullmatch(text)) and m[1] in VIDEOS:
        *hours, minutes, seconds = (int(x) for x in m[2].split(":"))
        total = (hours[0] if hours else 0) * 3600 + minutes * 60 + seconds
        return Source("video", video=m[1], seconds=total, text=m[2])
    if kind == "url" and text.startswith("url:https://"):
        return Source("url", text=text[4:])
    if kind in ("run", "derived") and len(text) > len(kind) + 10:
        return Source(kind, text=text[len(kind) + 1:])
    raise ValueError(f"not a ledger source: {text!r} (nb:<repo>:<path>#<cell>[:md], "
                     f"file:<repo>:<path>#L<line>, video:<id>@<h:mm:ss>, url:https://..., "
                     f"run:<text> or derived:<text>, with a known repository or video)")


def source_url(text: str) -> str | None:
    """Where a reader can look the source up: the file on GitHub at the commit, the video at
    the second, the linked page; ``None`` for ``run:`` and ``derived:``."""
    s = parse_source(text)
    if s.kind in ("nb", "file"):
        url = f"https://github.com/karpathy/{s.repo}/blob/{COMMITS[s.repo]}/{s.path}"
        return url + (f"#L{s.line}" if s.kind == "file" else "")
    if s.kind == "video":
        return f"https://www.youtube.com/watch?v={s.video}&t={s.seconds}s"
    if s.kind == "url":
        return s.text
    return None


def source_label(text: str) -> str:
    """A short name for a source, as the ledger page shows it."""
    s = parse_source(text)
    if s.kind == "nb":
        name = s.path.rsplit("/", 1)[-1]
        return f"{name}, cell {s.cell}" + (" (markdown)" if s.markdown else "")
    if s.kind == "file":
        return f"{s.repo}/{s.path}, line {s.line}"
    if s.kind == "video":
        return f"video ({VIDEOS[s.video]}), {s.text}"
    if s.kind == "url":
        return "linked notebook"
    return f"{s.kind}: {s.text}"


@dataclass(frozen=True)
class Entry:
    chapter: str          # e.g. "04_batchnorm"
    quantity: str         # what the number is, in words
    key: str              # the chapter's glue key holding the book's value
    lecture: object       # the lecture's printed value
    expect: str = "exact"  # "exact" | "tolerance" | "differs"
    digits: int = 4       # decimals the lecture printed (for "exact")
    tol: float = 0.0      # absolute tolerance (for "tolerance")
    why: str = ""         # one line: why a difference is expected, or what makes it exact
    source: str = field(kw_only=True)  # where the lecture printed it (see parse_source)
    note: str = field(default="", kw_only=True)  # about the source: what else was printed

    def __post_init__(self):
        if self.expect not in ("exact", "tolerance", "differs"):
            raise ValueError(f"{self.quantity}: expect must be exact, tolerance or differs, "
                             f"not {self.expect!r}")
        parse_source(self.source)


def mark(entry: Entry, ours) -> tuple[str, bool]:
    """(the mark shown, whether the row holds)."""
    if entry.expect == "differs":
        return "differs", True
    if ours is None:
        return "missing", False
    if not isinstance(entry.lecture, (int, float)) or not isinstance(ours, (int, float)):
        ok = ours == entry.lecture  # strings, lists: equal or not
        return ("exact" if ok else "DIFFERS"), ok
    if entry.expect == "exact":
        if isinstance(entry.lecture, int) and not isinstance(entry.lecture, bool):
            ok = ours == entry.lecture
        else:
            ok = round(float(ours), entry.digits) == round(float(entry.lecture), entry.digits)
        return ("exact" if ok else "NOT EXACT"), ok
    ok = abs(float(ours) - float(entry.lecture)) <= entry.tol
    return ("within ±{:g}".format(entry.tol) if ok else "OUT OF TOLERANCE"), ok


def difference(entry: Entry, ours):
    if not isinstance(ours, (int, float)) or not isinstance(entry.lecture, (int, float)):
        return None
    return float(ours) - float(entry.lecture)


def read_glue(folder: Path, chapter: str) -> dict:
    """The values a chapter glued, from myst-nb's ``<chapter>.glue.json`` in ``folder``."""
    path = Path(folder) / f"{chapter}.glue.json"
    if not path.exists():
        raise FileNotFoundError(
            f"{chapter} glued nothing: {path} is missing. A chapter with ledger rows must "
            f"glue their keys (myst_nb.glue) and be part of the build")
    out = {}
    for key, item in json.loads(path.read_text()).items():
        data = item.get("data", {})
        if "text/markdown" in data:  # a glued Markdown table: its source
            out[key] = data["text/markdown"]
            continue
        text = data.get("text/plain")
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError):
            out[key] = text
    return out


def format_value(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, (bool, str, list, tuple)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if digits > 6 or abs(value) < 1e-3:
        return repr(float(value))  # every digit Python keeps
    return f"{value:.{digits}f}"


MICROGRAD, BIGRAMS, MLP, GPT = "01_micrograd", "02_bigrams", "03_mlp", "07_gpt"
TOKENIZER, GPT2 = "08_tokenizer", "09_gpt2"
MAKEMORE = "makemore_models"
BATCHNORM, NINJA, WAVENET = "04_batchnorm", "05_backprop_ninja", "06_wavenet"
WAVENET_LOG = ("the performance log's earlier rows were printed with three decimals from runs "
               "the notebook's final code no longer reproduces")
SEEDED_ISA = ("seeded as the lecture; the last float32 bits of the full-split losses depend "
              "on the CPU's vector kernels (AVX2 vs AVX-512), the printed digits do not")
SOFTMAX_RUNS = ("the lecture's notebook no longer holds the exact code that printed these "
                "rows (it was edited on camera), so only a tolerance is asked")
FLOAT32 = "summed in float32 one bigram at a time, as the lecture's loop (float64 differs)"
UNSEEDED = ("the lecture drew its minibatches without a seed; the book seeds them, one draw "
            "from the same distribution")
SEEDED = "the lecture's seed and order of random draws, on CPU"
SCALE = ("the book scales attention by head_size**-0.5; the video used n_embd**-0.5 (an "
         "erratum), so only a tolerance applies")
EXACT_FLOAT = "the same float operations in the same order as the lecture"

# The lecture notebooks the sources name (see parse_source).
LECTURES = "nb:nn-zero-to-hero:lectures"
MG1 = f"{LECTURES}/micrograd/micrograd_lecture_first_half_roughly.ipynb"
MG2 = f"{LECTURES}/micrograd/micrograd_lecture_second_half_roughly.ipynb"
DEMO = "nb:micrograd:demo.ipynb"
PART1 = f"{LECTURES}/makemore/makemore_part1_bigrams.ipynb"
PART2 = f"{LECTURES}/makemore/makemore_part2_mlp.ipynb"
PART3 = f"{LECTURES}/makemore/makemore_part3_bn.ipynb"
PART4 = f"{LECTURES}/makemore/makemore_part4_backprop.ipynb"
PART5 = f"{LECTURES}/makemore/makemore_part5_cnn1.ipynb"
GPT_SPLIT = ("derived:int(0.9 * len(data)) of the 1,115,394 characters, the split the "
             "lecture codes")
GPT2_COUNT = ("derived:the parameters of GPT-2 (124M) with wte and lm_head tied: 12 layers, "
              "768 channels, 50,257 tokens, 1,024 positions")
GPT_COLAB = "url:https://colab.research.google.com/drive/1JMLa53HDuA-i7ZBmqV7ZnA3c_fvtXnx-"
MAKEMORE_PY = ("run:makemore.py -i names.txt --type {} --max-steps 5000 --device cpu "
               "--num-workers 0 at 988aa59 (karpathy/makemore), this machine, torch "
               "2.13.0+cpu, one thread")
MAKEMORE_BEST = "the run's best test loss, the one makemore.py saves its model at"
MAKEMORE_PARAMS = "makemore.py's 'model #params' line"
SANITY_RUN = ("run:test_sanity_check of micrograd's test/test_engine.py, its PyTorch side "
              "evaluated on this machine (float64)")

# makemore_part5_cnn1.ipynb's performance log (a markdown cell): (description,
# parameters, train, val) per run. Its first four runs are also ledger rows.
PERFORMANCE_LOG = {
    "wavenet_original": ("original (context 3, 200 hidden)", 12_097, 2.058, 2.105),
    "wavenet_context8": ("context 3 → 8, flat", 22_097, 1.918, 2.027),
    "wavenet_hierarchical_bnbug": ("flat → hierarchical (with the BatchNorm bug)",
                                   22_397, 1.941, 2.029),
    "wavenet_hierarchical": ("fix the BatchNorm bug", 22_397, 1.912, 2.022),
    "wavenet_scaled": ("scale up: n_embd 24, n_hidden 128", 76_579, 1.769, 1.993),
}


def performance_log_rows() -> list[Entry]:
    """Chapter 6's rows for the log's first four runs: parameters (from where the
    lecture printed the exact count) and the logged train and val losses."""
    runs = [  # run, the row's label, where the exact parameter count was printed
        ("wavenet_original", "original (context 3, 200 hidden)", dict(
            source=f"{PART3}#6",
            note=("the same network as part 3's BatchNorm MLP; part 5's performance log "
                  "(cell 14) writes 12K"))),
        ("wavenet_context8", "context 3 → 8, flat", dict(
            source="video:t3YJ5hKiMQ0@0:19:55",
            note=("in the section starting at 19:55 (re-running baseline code on block_size"
                  " 8); the performance log (cell 14) writes 22K"))),
        ("wavenet_hierarchical_bnbug", "hierarchical, with the BatchNorm bug", dict(
            source="video:t3YJ5hKiMQ0@0:37:41",
            note=("in the section starting at 37:41 (training the WaveNet: first pass); the "
                  "performance log (cell 14) writes 22K"))),
        ("wavenet_hierarchical", "BatchNorm bug fixed", dict(
            source="video:t3YJ5hKiMQ0@0:45:21",
            note=("in the section starting at 45:21 (re-training WaveNet with bug fix); the "
                  "performance log (cell 14) writes 22K"))),
    ]
    rows = []
    for i, (run, label, printed_at) in enumerate(runs, 1):
        _, params, train, val = PERFORMANCE_LOG[run]
        rows.append(Entry(WAVENET, f"{label}: parameters", f"params_{i}", params,
                          **printed_at))
        for split, value in (("train", train), ("val", val)):
            rows.append(Entry(WAVENET, f"{label}: {split} loss", f"{split}_{i}", value,
                              expect="tolerance", tol=0.01, why=WAVENET_LOG,
                              source=f"{PART5}#14:md",
                              note="the notebook's performance log"))
    return rows


ENTRIES: list[Entry] = [
    # --- chapter 1: micrograd (lecture notebooks, micrograd's README, test and demo) ---------
    Entry(MICROGRAD, "f(3.0) for f(x) = 3x² − 4x + 5", "f_at_3", 20.0, digits=1,
          source=f"{MG1}#2"),
    Entry(MICROGRAD, "numerical slope of f at 2/3 (h = 1e-6)", "slope_at_two_thirds",
          2.999378523327323e-06, digits=20, why=EXACT_FLOAT,
          source=f"{MG1}#4"),
    Entry(MICROGRAD, "numerical slope of a·b + c in c (h = 1e-4)", "slope_c",
          0.9999999999976694, digits=16, why=EXACT_FLOAT,
          source=f"{MG1}#6"),
    Entry(MICROGRAD, "L = (a·b + c)·f", "L", -8.0, digits=1,
          source=f"{MG1}#7"),
    Entry(MICROGRAD, "∂L/∂a", "grad_a", 6.0, digits=4,
          source=f"{MG1}#9",
          note='the graph of L drawn after backpropagation by hand'),
    Entry(MICROGRAD, "∂L/∂b", "grad_b", -4.0, digits=4,
          source=f"{MG1}#9",
          note='the graph of L drawn after backpropagation by hand'),
    Entry(MICROGRAD, "∂L/∂c", "grad_c", -2.0, digits=4,
          source=f"{MG1}#9",
          note='the graph of L drawn after backpropagation by hand'),
    Entry(MICROGRAD, "∂L/∂f", "grad_f", 4.0, digits=4,
          source=f"{MG1}#9",
          note='the graph of L drawn after backpropagation by hand'),
    Entry(MICROGRAD, "∂L/∂b by a one-sided difference (h = 0.001)", "dL_db_numeric",
          -3.9999999999995595, digits=16, why=EXACT_FLOAT,
          source=f"{MG1}#11"),
    Entry(MICROGRAD, "L after one step of size 0.01", "L_nudged", -7.286496, digits=6,
          source=f"{MG1}#10"),
    Entry(MICROGRAD, "tanh neuron output o", "o", 0.7071067811865476, digits=16,
          why="tanh written as (e^2x − 1)/(e^2x + 1) as in the lecture; math.tanh differs "
              "in the last digit",
          source=f"{MG1}#16"),
    Entry(MICROGRAD, "∂o/∂x1", "grad_x1", -1.5, digits=4,
          source=f"{MG1}#14",
          note="the neuron's graph drawn after backpropagation by hand"),
    Entry(MICROGRAD, "∂o/∂w1", "grad_w1", 1.0, digits=4,
          source=f"{MG1}#14",
          note="the neuron's graph drawn after backpropagation by hand"),
    Entry(MICROGRAD, "∂o/∂x2", "grad_x2", 0.5, digits=4,
          source=f"{MG1}#14",
          note="the neuron's graph drawn after backpropagation by hand"),
    Entry(MICROGRAD, "∂o/∂w2", "grad_w2", 0.0, digits=4,
          source=f"{MG1}#14",
          note="the neuron's graph drawn after backpropagation by hand"),
    Entry(MICROGRAD, "README expression g", "readme_g", 24.7041, digits=4,
          source="file:micrograd:README.md#L33"),
    Entry(MICROGRAD, "README ∂g/∂a", "readme_grad_a", 138.8338, digits=4,
          source="file:micrograd:README.md#L35"),
    Entry(MICROGRAD, "README ∂g/∂b", "readme_grad_b", 645.5773, digits=4,
          source="file:micrograd:README.md#L36"),
    Entry(MICROGRAD, "sanity check y", "sanity_y", -20.0, digits=4,
          source=SANITY_RUN,
          note='the test asserts that micrograd equals PyTorch and prints nothing'),
    Entry(MICROGRAD, "sanity check ∂y/∂x", "sanity_grad_x", 46.0, digits=4,
          source=SANITY_RUN,
          note='the test asserts that micrograd equals PyTorch and prints nothing'),
    Entry(MICROGRAD, "parameters of MLP(3, [4, 4, 1])", "params_tiny", 41,
          source="video:VMj-3S1tku0@2:01:01",
          note=("said: 'in total this mlp has 41 parameters' (time from a public Whisper "
                "transcript, averkij/karcaps); the lecture's notebooks do not print it")),
    Entry(MICROGRAD, "parameters of MLP(2, [16, 16, 1])", "params_moons", 337,
          source=f"{DEMO}#5"),
    Entry(MICROGRAD, "demo: loss at step 0", "moons_loss_first", 0.8958441028683222,
          digits=16, why="make_moons rebuilt in numpy draws sklearn's points; same seed",
          source=f"{DEMO}#7"),
    Entry(MICROGRAD, "demo: loss at step 99", "moons_loss_last", 0.010978370135492717,
          digits=12, why="the last bits depend on the order gradients are summed (the "
                         "original keeps operands in a set, so even it varies run to run)",
          source=f"{DEMO}#7"),
    Entry(MICROGRAD, "demo: first step at 100% accuracy", "moons_first_100", 40,
          source=f"{DEMO}#7",
          note='the first step whose line prints accuracy 100.0%'),
    Entry(MICROGRAD, "demo: X[:, 1].min() − 1, the lower y limit of its grid",
          "moons_ylim_low", -1.548639298268643, digits=15,
          why="make_moons rebuilt in numpy draws sklearn's points; same seed",
          source=f"{DEMO}#8"),
    Entry(MICROGRAD, "the lecture's PyTorch cell: o (float32 tensors made double)",
          "torch_lecture_o", 0.7071066904050358, digits=16, why=EXACT_FLOAT,
          source=f"{MG2}#13"),
    Entry(MICROGRAD, "the lecture's PyTorch cell: ∂o/∂x1", "torch_lecture_grad_x1",
          -1.5000003851533106, digits=16, why=EXACT_FLOAT,
          source=f"{MG2}#13"),

    # --- chapter 2: bigrams (makemore part 1) -------------------------------------------------
    Entry(BIGRAMS, "names in names.txt", "n_names", 32_033,
          source=f"{PART1}#2"),
    Entry(BIGRAMS, "shortest name", "min_len", 2,
          source=f"{PART1}#3"),
    Entry(BIGRAMS, "longest name", "max_len", 15,
          source=f"{PART1}#4"),
    Entry(BIGRAMS, "bigrams in the data", "n_bigrams", 228_146,
          source=f"{PART1}#56"),
    Entry(BIGRAMS, "count of 'n' followed by '.'", "count_n_end", 6763,
          source=f"{PART1}#6"),
    Entry(BIGRAMS, "count of '.' followed by 'a'", "count_start_a", 4410,
          source=f"{PART1}#6"),
    Entry(BIGRAMS, "log-likelihood of the data", "loglik_raw", -559891.75, digits=2,
          why=FLOAT32,
          source="video:PaCmpygFfXo@1:00:20",
          note=("shown with 'Okay, 2.45 over the entire training set' (public Whisper transcript,"
                " averkij/karcaps); the notebook's cell 26 printed log_likelihood -564996.8125 "
                'and 2.476470470428467, from a later state of the table (a stale kernel), not '
                'these')),
    Entry(BIGRAMS, "mean NLL, no smoothing", "nll_raw", 2.454094, digits=6, why=FLOAT32,
          source="video:PaCmpygFfXo@1:00:20",
          note=("said: '2.45 over the entire training set' (public Whisper transcript, "
                "averkij/karcaps); the notebook's cell 26 printed log_likelihood -564996.8125 and"
                ' 2.476470470428467, from a later state of the table (a stale kernel), not these')),
    Entry(BIGRAMS, "log-likelihood with +1 smoothing", "loglik_smoothed", -559951.5625,
          digits=4, why=FLOAT32,
          source="video:PaCmpygFfXo@1:00:50",
          note=('in the section starting at 1:00:50 (model smoothing with fake counts); the '
                'transcript does not read these digits out, and at 1:44:57 it says the smoothed '
                "loss was 'roughly 2.47'; the notebook's cell 26 printed log_likelihood "
                '-564996.8125 and 2.476470470428467, from a later state of the table (a stale '
                'kernel), not these')),
    Entry(BIGRAMS, "mean NLL with +1 smoothing", "nll_smoothed", 2.454356, digits=6,
          why=FLOAT32,
          source="video:PaCmpygFfXo@1:00:50",
          note=('in the section starting at 1:00:50 (model smoothing with fake counts); the '
                'transcript does not read these digits out, and at 1:44:57 it says the smoothed '
                "loss was 'roughly 2.47'; the notebook's cell 26 printed log_likelihood "
                '-564996.8125 and 2.476470470428467, from a later state of the table (a stale '
                'kernel), not these')),
    Entry(BIGRAMS, "'andrejq': NLL without smoothing", "andrejq_raw", "inf",
          source="video:PaCmpygFfXo@1:01:00",
          note=("said: 'we actually get infinity' (public Whisper transcript, averkij/karcaps); "
                'the notebook has no cell for it')),
    Entry(BIGRAMS, "'andrejq': NLL with +1 smoothing", "andrejq_smoothed", 3.4834,
          source="video:PaCmpygFfXo@1:02:44",
          note=("after smoothing, 'jq now has a very small probability' (public Whisper "
                'transcript); the digits are on screen, not read out; the notebook has no cell '
                'for it')),
    Entry(BIGRAMS, "neural bigram: loss on 'emma' at random W", "emma_loss",
          3.7693049907684326, digits=16, why=SEEDED,
          source=f"{PART1}#46"),
    Entry(BIGRAMS, "neural bigram: loss at step 1 (all bigrams)", "nn_first_loss",
          3.7686190605163574, digits=6,
          why=SEEDED + "; the last float32 bits move with the CPU kernels and threads "
                       "(3.768618583679199 with two threads: 4.8e-7), the 6 digits do not",
          source="video:PaCmpygFfXo@1:43:57",
          note=("the first step on all 228,146 bigrams ('you see that this will just run', public"
                " Whisper transcript); the notebook's cells print a later, regularised run "
                '(2.4818)')),
    Entry(BIGRAMS, "neural bigram: loss after 100 steps", "nn_loss", 2.4901304244995117,
          digits=16, why=SEEDED,
          source="video:PaCmpygFfXo@1:44:30",
          note=("after 'let's run 100 iterations' at 1:44:23 (public Whisper transcript); the "
                "notebook's cell 57 printed 2.481828451156616, from a later run with "
                'regularisation')),

    # --- chapter 3: MLP (makemore part 2) ------------------------------------------------------
    Entry(MLP, "training examples (block size 3)", "n_train", 182_625,
          source=f"{PART3}#5",
          note=("part 2's notebook printed 182441/22902/22803 (its cell 6): its shuffle cell "
                '(random.seed(42) then random.shuffle) had been run more than once; parts 3 to 5 '
                'print these sizes from one run')),
    Entry(MLP, "dev examples", "n_val", 22_655,
          source=f"{PART3}#5",
          note=("part 2's notebook printed 182441/22902/22803 (its cell 6): its shuffle cell "
                '(random.seed(42) then random.shuffle) had been run more than once; parts 3 to 5 '
                'print these sizes from one run')),
    Entry(MLP, "test examples", "n_test", 22_866,
          source=f"{PART3}#5",
          note=("part 2's notebook printed 182441/22902/22803 (its cell 6): its shuffle cell "
                '(random.seed(42) then random.shuffle) had been run more than once; parts 3 to 5 '
                'print these sizes from one run')),
    Entry(MLP, "parameters of the final model", "n_params", 11_897,
          source=f"{PART2}#23"),
    Entry(MLP, "final model: train loss", "train_loss", 2.1260, expect="tolerance", tol=0.01,
          why=UNSEEDED,
          source=f"{PART2}#29"),
    Entry(MLP, "final model: dev loss", "dev_loss", 2.1701, expect="tolerance", tol=0.01,
          why=UNSEEDED,
          source=f"{PART2}#30"),
    Entry(MLP, "loss of the first minibatch (printed in part 3)", "e2_first_batch", 27.8817,
          why=SEEDED,
          source="video:P6sfmUTpUmc@0:04:34",
          note=("said: 'we are recording a loss of 27' (public Whisper transcript, "
                "averkij/karcaps); the four digits are on screen; the notebook's code is the "
                'fixed network')),
    Entry(MLP, "loss of a uniform prediction, −log(1/27)", "e2_uniform", 3.2958,
          source="derived:-log(1/27) = ln 27, the loss of a uniform prediction",
          note="part 3's video says 3.29 at 0:05:45 (public Whisper transcript)"),

    # --- chapter 4: activations, gradients, BatchNorm (makemore part 3) -----------------------
    Entry(BATCHNORM, "original: loss at step 0", "step0_original", 27.8817, why=SEEDED,
          source="video:P6sfmUTpUmc@0:04:34",
          note=("said: 'we are recording a loss of 27' (public Whisper transcript, "
                "averkij/karcaps); the four digits are on screen; the notebook's code is the "
                'fixed network')),
    Entry(BATCHNORM, "original: train loss", "original_train", 2.1245, expect="tolerance",
          tol=0.005, why=SOFTMAX_RUNS,
          source=f"{PART3}#11:md",
          note="the notebook's loss log"),
    Entry(BATCHNORM, "original: val loss", "original_val", 2.1682, expect="tolerance",
          tol=0.005, why=SOFTMAX_RUNS,
          source=f"{PART3}#11:md",
          note="the notebook's loss log"),
    Entry(BATCHNORM, "fix softmax confidently wrong: train", "fix_softmax_train", 2.07,
          expect="tolerance", tol=0.005, why=SOFTMAX_RUNS,
          source=f"{PART3}#11:md",
          note="the notebook's loss log"),
    Entry(BATCHNORM, "fix softmax confidently wrong: val", "fix_softmax_val", 2.13,
          expect="tolerance", tol=0.005, why=SOFTMAX_RUNS,
          source=f"{PART3}#11:md",
          note="the notebook's loss log"),
    Entry(BATCHNORM, "fix tanh saturation: train", "fix_tanh_train", 2.0356, why=SEEDED_ISA,
          source=f"{PART3}#11:md",
          note="the notebook's loss log"),
    Entry(BATCHNORM, "fix tanh saturation: val", "fix_tanh_val", 2.1027, why=SEEDED_ISA,
          source=f"{PART3}#11:md",
          note="the notebook's loss log"),
    Entry(BATCHNORM, "semi-principled Kaiming init: train", "kaiming_train", 2.0377,
          why=SEEDED_ISA,
          source=f"{PART3}#11:md",
          note="the notebook's loss log"),
    Entry(BATCHNORM, "semi-principled Kaiming init: val", "kaiming_val", 2.1070, why=SEEDED_ISA,
          source=f"{PART3}#11:md",
          note="the notebook's loss log"),
    Entry(BATCHNORM, "add BatchNorm: train", "batchnorm_train", 2.0674, why=SEEDED_ISA,
          source=f"{PART3}#10",
          note=('the loss log (cell 11) wrote 2.0668/2.1048 for this row, from an earlier run of '
                'the BatchNorm cell')),
    Entry(BATCHNORM, "add BatchNorm: val", "batchnorm_val", 2.1057, why=SEEDED_ISA,
          source=f"{PART3}#10",
          note=('the loss log (cell 11) wrote 2.0668/2.1048 for this row, from an earlier run of '
                'the BatchNorm cell')),
    Entry(BATCHNORM, "BatchNorm: loss at step 0", "step0_batchnorm", 3.3239, why=SEEDED,
          source=f"{PART3}#7"),
    Entry(BATCHNORM, "deep network: loss at step 0", "step0_deep", 3.2870, why=SEEDED,
          source=f"{PART3}#14"),
    Entry(BATCHNORM, "parameters of the first MLP", "n_params_original", 11_897,
          source=f"{PART2}#23",
          note=("the same network as part 2's; part 3's notebook prints only its BatchNorm "
                'version (12,097, cell 6)')),
    Entry(BATCHNORM, "parameters with BatchNorm", "n_params_bn", 12_097,
          source=f"{PART3}#6"),
    Entry(BATCHNORM, "parameters of the deep network", "n_params_deep", 47_024,
          source=f"{PART3}#13"),
    Entry(BATCHNORM, "deep network, 1,000 steps: train", "deep_train", 2.4003, why=SEEDED,
          source=f"{PART3}#19"),
    Entry(BATCHNORM, "deep network, 1,000 steps: val", "deep_val", 2.3982, why=SEEDED,
          source=f"{PART3}#19"),

    # --- chapter 5: backprop ninja (makemore part 4) ------------------------------------------
    Entry(NINJA, "parameters (the lecture's network)", "n_params", 12_297,
          source=f"{PART4}#22"),
    Entry(NINJA, "gradients that equal autograd's exactly", "n_exact", 26,
          source=f"{PART4}#11",
          note="counted: the output lines that say 'exact: True'"),
    Entry(NINJA, "fused cross-entropy backward: max |difference|", "ce_maxdiff",
          5.122274160385132e-09, expect="tolerance", tol=1e-8,
          why="float32 rounding: any difference below 1e-8 agrees with autograd",
          source=f"{PART4}#13"),
    Entry(NINJA, "fused BatchNorm backward: max |difference|", "bn_maxdiff",
          9.313225746154785e-10, expect="tolerance", tol=1e-8,
          why="float32 rounding: any difference below 1e-8 agrees with autograd",
          source=f"{PART4}#20"),
    Entry(NINJA, "minibatch loss of the forward pass", "loss", 3.3377, expect="tolerance",
          tol=0.05, why="the lecture drew bngain and bnbias from the unseeded global generator",
          source=f"{PART4}#10"),
    Entry(NINJA, "manual-gradient training: train", "train", 2.0705, expect="tolerance",
          tol=0.01, why="bngain/bnbias unseeded in the lecture; the book seeds every draw",
          source=f"{PART4}#25"),
    Entry(NINJA, "manual-gradient training: val", "val", 2.1099, expect="tolerance", tol=0.01,
          why="bngain/bnbias unseeded in the lecture; the book seeds every draw",
          source=f"{PART4}#25"),

    # --- chapter 6: WaveNet (makemore part 5) ----------------------------------------------
    *performance_log_rows(),
    Entry(WAVENET, "scaled up (n_embd 24, n_hidden 128): parameters", "params_5", 76_579,
          source=f"{PART5}#9"),
    Entry(WAVENET, "scaled up: train loss", "train_5", 1.7690, why=SEEDED_ISA,
          source=f"{PART5}#13"),
    Entry(WAVENET, "scaled up: val loss", "val_5", 1.9937, why=SEEDED_ISA,
          source=f"{PART5}#13"),

    # --- chapter 7: GPT (the video's printed numbers) -------------------------------------
    Entry(GPT, "characters in tiny Shakespeare", "n_chars", 1_115_394,
          source="video:kCc8FmEb1nY@0:08:15",
          note=("said: 'we are working with 1 million characters roughly' (a public copy of the"
                " video's YouTube transcript); the exact count is on screen, from the video's "
                'Colab notebook')),
    Entry(GPT, "vocabulary size", "vocab_size", 65,
          source="video:kCc8FmEb1nY@0:09:11",
          note=("said: 'there's 65 of them in total' (a public copy of the video's YouTube "
                'transcript)')),
    Entry(GPT, 'encode("hii there")', "hii", "[46, 47, 47, 1, 58, 46, 43, 56, 43]",
          source="video:kCc8FmEb1nY@0:10:08",
          note=("said: 'for example 46 47 etc' (a public copy of the video's YouTube "
                'transcript); the list is on screen')),
    Entry(GPT, "training characters (first 90%)", "n_train", 1_003_854,
          source=GPT_SPLIT,
          note=("the 90/10 split is made at 13:41 (a public copy of the video's YouTube "
                'transcript); the video does not read out the sizes')),
    Entry(GPT, "validation characters (last 10%)", "n_val", 111_540,
          source=GPT_SPLIT,
          note=("the 90/10 split is made at 13:41 (a public copy of the video's YouTube "
                'transcript); the video does not read out the sizes')),
    Entry(GPT, "untrained bigram: loss on the seeded 4 × 8 batch", "bigram_init_loss", 4.8786,
          why=SEEDED, source=GPT_COLAB,
          note=("the bigram cell of the video's Colab notebook, gpt-dev.ipynb (not in "
                "karpathy/ng-video-lecture, so no extract checks it); in the video, the "
                "section starting at 22:11")),
    Entry(GPT, "untrained bigram: 100 characters sampled", "bigram_init_sample",
          "SKIcLT;AcELMoTbvZv C?nq-QE33:CJqkOKH-q;:la!oiywkHjgChzbQ?u!3bLIgwevmyFJGUGp\n"
          "wnYWmnxKWWev-tDqXErVKLgJ",
          why=SEEDED + "; torch.multinomial draws the same characters here",
          source=GPT_COLAB,
          note=("the same cell of gpt-dev.ipynb as the loss above; in the video, the section "
                "starting at 22:11")),
    Entry(GPT, "bigram: train loss at step 0", "bigram_step0_train", 4.7305, why=SEEDED,
          source="video:kCc8FmEb1nY@0:41:52",
          note=("bigram.py's printout: 'running this script gives us output in the terminal' (a"
                " public copy of the video's YouTube transcript)")),
    Entry(GPT, "bigram: val loss at step 0", "bigram_step0_val", 4.7241, why=SEEDED,
          source="video:kCc8FmEb1nY@0:41:52",
          note=("bigram.py's printout: 'running this script gives us output in the terminal' (a"
                " public copy of the video's YouTube transcript)")),
    Entry(GPT, "bigram: train loss at step 2700", "bigram_last_train", 2.4738, why=SEEDED,
          source="video:kCc8FmEb1nY@0:41:52",
          note=("bigram.py's printout: 'running this script gives us output in the terminal' (a"
                " public copy of the video's YouTube transcript)")),
    Entry(GPT, "bigram: val loss at step 2700", "bigram_last_val", 2.4911, why=SEEDED,
          source="video:kCc8FmEb1nY@0:41:52",
          note=("bigram.py's printout: 'running this script gives us output in the terminal' (a"
                " public copy of the video's YouTube transcript)")),
    Entry(GPT, "single head: val loss, video's n_embd**-0.5 scale", "ms_single_head_video_val",
          2.4084, why=SEEDED,
          source="video:kCc8FmEb1nY@1:21:43",
          note=("said: 'now we are down to 2.4' (a public copy of the video's YouTube "
                'transcript); the digits are on screen')),
    Entry(GPT, "single head: train loss at step 4500, video's scale",
          "ms_single_head_video_train", 2.3980, why=SEEDED,
          source="video:kCc8FmEb1nY@1:21:43",
          note=("said: 'now we are down to 2.4' (a public copy of the video's YouTube "
                'transcript); the digits are on screen')),
    Entry(GPT, "single head: val loss, head_size**-0.5 scale", "ms_single_head_val", 2.4084,
          why=SEEDED + "; one head as wide as the embedding: both scales are the same",
          source="video:kCc8FmEb1nY@1:21:43",
          note=("said: 'now we are down to 2.4' (a public copy of the video's YouTube "
                'transcript); the digits are on screen')),
    Entry(GPT, "single head: train loss, head_size**-0.5 scale", "ms_single_head_train",
          2.3980, why=SEEDED + "; one head as wide as the embedding: both scales are the same",
          source="video:kCc8FmEb1nY@1:21:43",
          note=("said: 'now we are down to 2.4' (a public copy of the video's YouTube "
                'transcript); the digits are on screen')),
    Entry(GPT, "multi-head: train loss, video's scale", "ms_multi_head_video_train", 2.2748,
          why=SEEDED,
          source="video:kCc8FmEb1nY@1:23:53",
          note=("said: 'we now get this down to 2.28 roughly' (a public copy of the video's "
                'YouTube transcript); the digits are on screen')),
    Entry(GPT, "multi-head: train loss, head_size**-0.5 scale", "ms_multi_head_train", 2.2748,
          expect="tolerance", tol=0.05, why=SCALE,
          source="video:kCc8FmEb1nY@1:23:53",
          note=("said: 'we now get this down to 2.28 roughly' (a public copy of the video's "
                'YouTube transcript); the digits are on screen')),
    Entry(GPT, "+ feed-forward: train loss", "ms_feed_forward_train", 2.2282,
          expect="tolerance", tol=0.05, why=SCALE,
          source="video:kCc8FmEb1nY@1:26:18",
          note=("said: 'continues to go down now to 2.24' (a public copy of the video's YouTube"
                ' transcript); the digits are on screen')),
    Entry(GPT, "+ blocks: train loss", "ms_blocks_train", 2.3178, expect="tolerance",
          tol=0.05, why=SCALE,
          source="video:kCc8FmEb1nY@1:28:01",
          note=("said: 'this doesn't actually give a very good ... result' (a public copy of "
                "the video's YouTube transcript); the digits are on screen")),
    Entry(GPT, "+ residual connections: train loss", "ms_residual_train", 1.9995,
          expect="tolerance", tol=0.05, why=SCALE,
          source="video:kCc8FmEb1nY@1:32:24",
          note=("said: 'all the way to 2.08 validation loss' (a public copy of the video's "
                'YouTube transcript); the digits are on screen')),
    Entry(GPT, "+ LayerNorm: train loss", "ms_layernorm_train", 1.9795, expect="tolerance",
          tol=0.05, why=SCALE,
          source="video:kCc8FmEb1nY@1:37:05",
          note=("said: 'we get down to 2.06' (a public copy of the video's YouTube transcript);"
                ' the digits are on screen')),
    Entry(GPT, "multi-head: val loss, video's scale", "ms_multi_head_video_val", 2.2858,
          why=SEEDED,
          source="video:kCc8FmEb1nY@1:23:53",
          note=("said: 'we now get this down to 2.28 roughly' (a public copy of the video's "
                'YouTube transcript); the digits are on screen')),
    Entry(GPT, "multi-head: val loss, head_size**-0.5 scale", "ms_multi_head_val", 2.2858,
          expect="tolerance", tol=0.05, why=SCALE,
          source="video:kCc8FmEb1nY@1:23:53",
          note=("said: 'we now get this down to 2.28 roughly' (a public copy of the video's "
                'YouTube transcript); the digits are on screen')),
    Entry(GPT, "+ feed-forward: val loss", "ms_feed_forward_val", 2.2409, expect="tolerance",
          tol=0.05, why=SCALE + "; transcriptions of the video differ in the 4th decimal",
          source="video:kCc8FmEb1nY@1:26:18",
          note=("said: 'continues to go down now to 2.24' (a public copy of the video's YouTube"
                ' transcript); the digits are on screen')),
    Entry(GPT, "+ blocks: val loss", "ms_blocks_val", 2.3336, expect="tolerance", tol=0.05,
          why=SCALE,
          source="video:kCc8FmEb1nY@1:28:01",
          note=("said: 'this doesn't actually give a very good ... result' (a public copy of "
                "the video's YouTube transcript); the digits are on screen")),
    Entry(GPT, "+ residual connections: val loss", "ms_residual_val", 2.0822,
          expect="tolerance", tol=0.05, why=SCALE,
          source="video:kCc8FmEb1nY@1:32:24",
          note=("said: 'all the way to 2.08 validation loss' (a public copy of the video's "
                'YouTube transcript); the digits are on screen')),
    Entry(GPT, "+ LayerNorm: val loss", "ms_layernorm_val", 2.0595, expect="tolerance",
          tol=0.05, why=SCALE,
          source="video:kCc8FmEb1nY@1:37:05",
          note=("said: 'we get down to 2.06' (a public copy of the video's YouTube transcript);"
                ' the digits are on screen')),
    Entry(GPT, "small model: parameters", "small_params", 209_729,
          source=GPT_COLAB,
          note=("the last cell (the full code at CPU size) of the video's Colab notebook, gpt-"
                "dev.ipynb, linked from the video's description; it is not in karpathy/ng-video-"
                'lecture, so no extract checks it')),
    Entry(GPT, "small model: val loss after 5,000 steps", "small_val", 1.8222,
          expect="tolerance", tol=0.05,
          why="the lecture's small run used the n_embd scale on other hardware; ours is seeded",
          source=GPT_COLAB,
          note=("the last cell (the full code at CPU size) of the video's Colab notebook, gpt-"
                "dev.ipynb, linked from the video's description; it is not in karpathy/ng-video-"
                'lecture, so no extract checks it')),
    Entry(GPT, "small model: train loss after 5,000 steps", "small_train", 1.6664,
          expect="tolerance", tol=0.05,
          why="the lecture's small run used the n_embd scale on other hardware; ours is seeded",
          source=GPT_COLAB,
          note=("the last cell (the full code at CPU size) of the video's Colab notebook, gpt-"
                "dev.ipynb, linked from the video's description; it is not in karpathy/ng-video-"
                'lecture, so no extract checks it')),
    Entry(GPT, "full model: parameters (not trained on CPU)", "full_params", 10_788_929,
          source="video:kCc8FmEb1nY@1:49:28",
          note=("said: 'this is how you print a number of parameters ... about 10 million' (a "
                "public copy of the video's YouTube transcript)")),
    Entry(GPT, "full model: train loss (a GPU run in the video)", "full_train", 1.0763,
          expect="differs", why="the 10.8M-parameter run needs a GPU; the book does not "
                                "train it",
          source="video:kCc8FmEb1nY@1:40:28",
          note=("said: 'we get a validation loss of 1.48' (a public copy of the video's YouTube"
                ' transcript); the digits are on screen')),
    Entry(GPT, "full model: val loss (a GPU run in the video)", "full_val", 1.4873,
          expect="differs", why="the 10.8M-parameter run needs a GPU; the book does not "
                                "train it",
          source="video:kCc8FmEb1nY@1:40:28",
          note=("said: 'we get a validation loss of 1.48' (a public copy of the video's YouTube"
                ' transcript); the digits are on screen')),

    # --- the makemore appendix: makemore.py itself, run here with the same settings ---------
    Entry(MAKEMORE, "bigram: best test loss, 5,000 steps of makemore.py's settings",
          "test_bigram", 2.516486644744873, digits=4,
          why="the same zero-initialised table and the same batches (the same order of draws)",
          source=MAKEMORE_PY.format("bigram"), note=MAKEMORE_BEST),
    Entry(MAKEMORE, "rnn: best test loss, the same", "test_rnn", 2.1202399730682373,
          digits=4, why="the same model, torch.nn's initialisation and the same draws",
          source=MAKEMORE_PY.format("rnn"), note=MAKEMORE_BEST),
    Entry(MAKEMORE, "gru: best test loss, the same", "test_gru", 2.0862834453582764,
          digits=4, why="the same model, torch.nn's initialisation and the same draws",
          source=MAKEMORE_PY.format("gru"), note=MAKEMORE_BEST),
    Entry(MAKEMORE, "transformer: best test loss, the same", "test_transformer",
          2.0127506256103516, digits=3,
          why="the same model and draws; three decimals, since the fourth sits on a rounding "
              "boundary two float32 steps away",
          source=MAKEMORE_PY.format("transformer"), note=MAKEMORE_BEST),
    Entry(MAKEMORE, "mlp: best test loss, the same settings", "test_mlp", 2.0938456058502197,
          expect="differs",
          why="another model: the book's MLP is chapter 3's (context 3), makemore.py's has "
              "context 16 and 64-dimensional embeddings",
          source=MAKEMORE_PY.format("mlp"), note=MAKEMORE_BEST),
    Entry(MAKEMORE, "bigram: parameters", "params_bigram", 729,
          source=MAKEMORE_PY.format("bigram"), note=MAKEMORE_PARAMS),
    Entry(MAKEMORE, "rnn: parameters", "params_rnn", 11_803,
          source=MAKEMORE_PY.format("rnn"), note=MAKEMORE_PARAMS),
    Entry(MAKEMORE, "gru: parameters", "params_gru", 28_315,
          source=MAKEMORE_PY.format("gru"), note=MAKEMORE_PARAMS),
    Entry(MAKEMORE, "transformer: parameters (with lm_head)", "params_transformer", 204_544,
          source=MAKEMORE_PY.format("transformer"),
          note=MAKEMORE_PARAMS + "; it also prints 0.20M, without lm_head"),
    Entry(MAKEMORE, "mlp: parameters", "params_mlp", 69_147, expect="differs",
          why="another model (the book's is chapter 3's MLP)",
          source=MAKEMORE_PY.format("mlp"), note=MAKEMORE_PARAMS),
    Entry(MAKEMORE, "test logprob of the default transformer trained until stopped",
          "readme_test_logprob", 1.92, digits=2, expect="differs",
          why="quoted from makemore's README, not reproduced: the book trains 5,000 steps",
          source="file:makemore:README.md#L44", note="'test logprob of ~1.92'"),

    # --- chapter 8: the tokenizer (minbpe's README and tests) -------------------------------
    Entry(TOKENIZER, "Wikipedia's aaabdaaabac after 3 merges: ids", "wiki_ids",
          "[258, 100, 258, 97, 99]",
          source="file:minbpe:README.md#L28"),
    Entry(TOKENIZER, 'cl100k_base ids of "hello123!!!? (안녕하세요!) 😉"', "hello_ids",
          "[15339, 4513, 12340, 30, 320, 31495, 230, 75265, 243, 92245, 16715, 57037]",
          source="file:minbpe:README.md#L48"),
    Entry(TOKENIZER, 'cl100k_base ids of "<|endoftext|>hello world", all specials allowed',
          "special_ids", "[100257, 15339, 1917]",
          source="file:minbpe:README.md#L66"),

    # --- chapter 9: GPT-2 (build-nanogpt) ---------------------------------------------------
    Entry(GPT2, "GPT-2 small: parameters (counted on the meta device, not trained)",
          "full_params", 124_439_808,
          source=GPT2_COUNT,
          note=('the video names the model GPT-2 (124M) (section starting at 3:39); this count is'
                " not printed in the lecture's repository")),
    Entry(GPT2, "vocabulary 50,257 padded to a multiple of 64", "padded_50257", 50_304,
          source="file:build-nanogpt:train_gpt2.py#L339",
          note='GPT(GPTConfig(vocab_size=50304)); in the video, the section starting at 2:06:54'),
    Entry(GPT2, "OpenAI GPT-2 124M: HellaSwag acc_norm (10,042 items)", "hs_acc_norm",
          0.2955, expect="differs",
          why="no weights or HellaSwag offline; the book scores its 0.9M-parameter "
              "Shakespeare model on 8 hand-written items",
          source="file:build-nanogpt:hellaswag.py#L19",
          note="the script's docstring"),
    Entry(GPT2, "OpenAI GPT-2 124M checkpoint: val loss on FineWeb-Edu", "book_val", 3.2924,
          expect="differs",
          why="the book's value is its small model's, on tiny Shakespeare in chapter 8's "
              "tokens",
          source="file:build-nanogpt:play.ipynb#L284",
          note="the baseline typed in play.ipynb's plotting cell (cell 17)"),
]

BY_KEY: dict[tuple[str, str], Entry] = {(e.chapter, e.key): e for e in ENTRIES}


def entry(chapter: str, key: str) -> Entry:
    """The ledger's row for a chapter's glue key."""
    try:
        return BY_KEY[chapter, key]
    except KeyError:
        raise KeyError(f"the ledger has no row for {chapter}::{key}") from None


def lecture(chapter: str, key: str):
    """The number the lecture printed for a chapter's glue key (the one place it is
    typed)."""
    return entry(chapter, key).lecture


def check(chapter: str, key: str, ours) -> None:
    """Assert that ``ours`` agrees with the lecture as the ledger's row promises: equal at
    the printed digits, or within the stated tolerance."""
    row = entry(chapter, key)
    shown, ok = mark(row, ours)
    assert ok, (f"{chapter}::{key} ({row.quantity}): ours {ours!r}, lecture "
                f"{row.lecture!r}: {shown}")


# --- printed logs: whole sequences a lecture printed, read by chapters and tests ----------
PRINTED: dict[tuple[str, str], object] = {
    # micrograd's demo.ipynb, the training cell's output: loss and accuracy (%) at steps 0..99
    (MICROGRAD, "moons_losses"): [
        0.8958441028683222, 1.7235905336972022, 0.7429006313851131, 0.7705641260584198,
        0.3692793385976538, 0.313545481918522, 0.2814234349772435, 0.26888733313983904,
        0.2567147286057417, 0.2704862551637922, 0.24507023853658053, 0.2509905529791503,
        0.21560951851922952, 0.23090378446402726, 0.20152151227899445, 0.22574506279282217,
        0.19447987596204114, 0.21089496199246363, 0.159830773563036, 0.1845374874688392,
        0.18977522856087634, 0.19072704042579647, 0.11733695088756485, 0.12173524408232454,
        0.1261571261277045, 0.16049097780801674, 0.18747197705245805, 0.16741837891059408,
        0.09586583491455399, 0.0877878370742091, 0.11731297569011848, 0.09340146460619836,
        0.12454454903103446, 0.07984002652777272, 0.07727519232921673, 0.07661250143094483,
        0.10610492379198365, 0.09062808429265976, 0.10671887043036932, 0.05225659921975849,
        0.06016009895234464, 0.08596724533333942, 0.051121079431796, 0.052401424016428284,
        0.045306841790015734, 0.07211073370655095, 0.03334238651310234, 0.03143222795751122,
        0.03658536747111507, 0.04829139382390309, 0.09875114765619622, 0.05449063965875453,
        0.03392679435708309, 0.05261517263568441, 0.03250295251424923, 0.02888327387207822,
        0.04139151104027239, 0.018987407426128502, 0.0252383352388374, 0.02079656521341895,
        0.0325971115781023, 0.017863351693480307, 0.023008717832211683, 0.022079325463581503,
        0.029432917853529684, 0.01625151464409193, 0.02846853448326446, 0.013994365546208731,
        0.015552344843651405, 0.0338911994616017, 0.014229870065926908, 0.013255281583285504,
        0.012300277590022063, 0.012676052498355976, 0.020593811955954763, 0.011845398205364453,
        0.016012697472883086, 0.025458360239222128, 0.014382930289661911, 0.011698962425817985,
        0.012318500800515763, 0.014121117031464233, 0.011664591962446225, 0.011589314549188726,
        0.010990299347735226, 0.01098922672069161, 0.010988193757655071, 0.010987200447388707,
        0.010986246779084925, 0.010985332742365272, 0.010984458327280174, 0.010983623524308862,
        0.010982828324359073, 0.010982072718767003, 0.010981356699297042, 0.010980680258141723,
        0.010980043387921506, 0.010979446081684675, 0.010978888332907229, 0.010978370135492717,
    ],
    # the lecture's micrograd exercises notebook (linked from the video's description):
    # the answers its checks compare with
    (MICROGRAD, "exercise_gradient"): [-12.353553390593273, 10.25699027111255, 0.0625],
    (MICROGRAD, "exercise_softmax_grad"): [0.041772570515350445, 0.8390245074625319,
                                           0.005653302662216329, -0.8864503806400986],
    (MICROGRAD, "moons_accuracy"): [
        50, 81, 77, 82, 84, 86, 89, 91, 91, 91, 91, 92, 91, 93, 92, 93, 92, 93, 94, 93,
        91, 93, 97, 95, 95, 95, 92, 95, 97, 96, 95, 97, 95, 97, 97, 98, 96, 99, 95, 98,
        100, 96, 99, 97, 100, 97, 99, 100, 99, 99, 96, 99, 100, 97, 99, 100, 98, 100, 100, 100,
        99, 100, 100, 100, 99, 100, 99, 100, 100, 99, 100, 100, 100, 100, 100, 100, 100, 100,
        100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100,
        100, 100, 100, 100, 100,
    ],
    # makemore_part3_bn.ipynb: the "loss log" (train, val) of each fix, full precision where
    # the notebook printed it (fix_softmax: the two digits the lecture wrote); the BatchNorm
    # row is what the notebook's final code printed (its loss log's 2.0668/2.1048 came from an
    # earlier cell)
    (BATCHNORM, "loss_log"): {
        "original": (2.1245384216308594, 2.168196439743042),
        "fix_softmax": (2.07, 2.13),
        "fix_tanh": (2.0355966091156006, 2.1026785373687744),
        "kaiming": (2.0376641750335693, 2.106989622116089),
        "batchnorm": (2.0674145221710205, 2.1056840419769287),
    },
    # the BatchNorm row as the loss log wrote it (an earlier run of the BatchNorm cell)
    (BATCHNORM, "loss_log_written_batchnorm"): (2.0668270587921143, 2.104844808578491),
    (BATCHNORM, "deep"): (2.4002976417541504, 2.3982467651367188),
    # the deep network's statistics after 1,000 steps: tanh layers (layer, mean, std,
    # % saturated), their gradients' std, and the 2-D weights (shape, grad std,
    # grad:data ratio), as its cells printed them
    (BATCHNORM, "deep_tanh"): [(2, -0.00, 0.63, 2.78), (5, 0.00, 0.64, 2.56),
                               (8, -0.00, 0.65, 2.25), (11, 0.00, 0.65, 1.69),
                               (14, 0.00, 0.65, 1.88)],
    (BATCHNORM, "deep_grad_std"): [2.640702e-03, 2.245584e-03, 2.045742e-03,
                                   1.983134e-03, 1.952382e-03],
    (BATCHNORM, "deep_weights"): [((27, 10), 8.020534e-03, 8.012630e-03),
                                  ((30, 100), 9.241077e-03, 4.881091e-02),
                                  ((100, 100), 7.132879e-03, 6.964619e-02),
                                  ((100, 100), 6.234305e-03, 6.073741e-02),
                                  ((100, 100), 5.742187e-03, 5.631483e-02),
                                  ((100, 100), 5.672205e-03, 5.570125e-02),
                                  ((100, 27), 1.209416e-02, 1.160106e-01)],
    # makemore_part4_backprop.ipynb
    (NINJA, "loss"): 3.3377387523651123,
    (NINJA, "ce_maxdiff"): 5.122274160385132e-09,
    (NINJA, "bn_maxdiff"): 9.313225746154785e-10,
    (NINJA, "train_val"): (2.070523500442505, 2.109893560409546),
    # makemore_part5_cnn1.ipynb: the performance log, (description, parameters, train, val)
    (WAVENET, "performance_log"): PERFORMANCE_LOG,
    # the final run's full-precision numbers and its losses logged every 10,000 steps
    (WAVENET, "final"): {"train": 1.7690284252166748, "val": 1.9936515092849731},
    (WAVENET, "final_logged"): [
        3.3167, 2.0576, 2.0723, 2.5134, 2.1476, 1.7836, 2.2592, 1.9331, 1.6875, 2.0395,
        1.7736, 1.9570, 1.7465, 1.8126, 1.7406, 1.7466, 1.8806, 1.6266, 1.6476, 1.8555],
    # what part 1's notebook printed where the rows' values come from the video: its loss
    # cell, run after the table had changed (a stale kernel), and its gradient-descent cell,
    # left at its last of many runs (with regularisation)
    (BIGRAMS, "nb_loglik_stale"): -564996.8125,
    (BIGRAMS, "nb_nll_stale"): 2.476470470428467,
    (BIGRAMS, "nb_descent_loss"): 2.481828451156616,
    # what part 2's notebook printed for the split: its shuffle cell had been run again
    (MLP, "part2_splits"): [182_441, 22_902, 22_803],
}


# Where each printed log was printed (see parse_source): one source, or several when the log
# gathers cells (a number of the log is then found in one of them, or is the lecture value of
# one of the chapter's rows whose source is a video).
PRINTED_SOURCES: dict[tuple[str, str], str | tuple[str, ...]] = {
    (MICROGRAD, "moons_losses"): f"{DEMO}#7",
    (MICROGRAD, "moons_accuracy"): f"{DEMO}#7",
    (MICROGRAD, "exercise_gradient"):
        "url:https://colab.research.google.com/drive/1FPTx1RXtBfc4MaTkf7viZZD4U2F9gtKN",
    (MICROGRAD, "exercise_softmax_grad"):
        "url:https://colab.research.google.com/drive/1FPTx1RXtBfc4MaTkf7viZZD4U2F9gtKN",
    (BATCHNORM, "loss_log"): (f"{PART3}#11:md", f"{PART3}#10"),
    (BATCHNORM, "loss_log_written_batchnorm"): f"{PART3}#11:md",
    (BATCHNORM, "deep"): f"{PART3}#19",
    (BATCHNORM, "deep_tanh"): f"{PART3}#15",
    (BATCHNORM, "deep_grad_std"): f"{PART3}#16",
    (BATCHNORM, "deep_weights"): f"{PART3}#17",
    (NINJA, "loss"): f"{PART4}#12",
    (NINJA, "ce_maxdiff"): f"{PART4}#13",
    (NINJA, "bn_maxdiff"): f"{PART4}#20",
    (NINJA, "train_val"): f"{PART4}#25",
    (WAVENET, "performance_log"): (f"{PART5}#14:md", f"{PART3}#6", f"{PART5}#9",
                                   "video:t3YJ5hKiMQ0@0:19:55", "video:t3YJ5hKiMQ0@0:37:41",
                                   "video:t3YJ5hKiMQ0@0:45:21"),
    (WAVENET, "final"): f"{PART5}#13",
    (WAVENET, "final_logged"): f"{PART5}#10",
    (BIGRAMS, "nb_loglik_stale"): f"{PART1}#26",
    (BIGRAMS, "nb_nll_stale"): f"{PART1}#26",
    (BIGRAMS, "nb_descent_loss"): f"{PART1}#57",
    (MLP, "part2_splits"): f"{PART2}#6",
}


def printed_sources(chapter: str, name: str) -> tuple[str, ...]:
    """The sources of a printed log, as a tuple."""
    found = PRINTED_SOURCES[chapter, name]
    return (found,) if isinstance(found, str) else tuple(found)


def printed(chapter: str, name: str):
    """A whole log a lecture printed (a list or a table of numbers), by chapter and name."""
    try:
        return PRINTED[chapter, name]
    except KeyError:
        raise KeyError(f"the ledger has no printed log {chapter}::{name}") from None
