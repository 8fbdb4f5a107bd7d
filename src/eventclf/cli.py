"""The ``eventclf`` command: a thin shell over the importable functions."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from eventclf.errors import ConfigError, DataError, DataErrors, EventclfError

FORMATS = ["auto", "jsonl", "labelstudio", "doccano", "brat", "csv"]


def _add_data_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        default="auto",
        choices=FORMATS,
        help="input format (default: from the file name and content)",
    )
    p.add_argument(
        "--offsets",
        default="auto",
        choices=["auto", "codepoints", "utf16"],
        help="how span offsets are counted in browser-made exports",
    )
    p.add_argument(
        "--lenient",
        action="store_true",
        help="skip bad records (counted and listed) instead of stopping",
    )


def _labels_from(args: argparse.Namespace) -> Any:
    from eventclf.labels import DEFAULT_LABELS, LabelSet

    if getattr(args, "config", None):
        from eventclf.config import load_config

        return load_config(args.config).data.label_set
    if getattr(args, "labels", None):
        return LabelSet([x.strip() for x in args.labels.split(",") if x.strip()])
    return LabelSet(DEFAULT_LABELS)


def _read(args: argparse.Namespace, paths: Sequence[str], labels: Any, report: Any) -> Any:
    """Whole-file validation of the inputs with the shared data options."""
    from eventclf.data.readers import read_all

    return read_all(
        paths,
        format=args.format,
        labels=labels,
        offsets=args.offsets,
        lenient=args.lenient,
        report=report,
    )


def _print_report(report: Any, err: TextIO) -> None:
    print(report.summary(), file=err)
    for bad in report.skipped[:20]:
        print(f"  skipped: {bad}", file=err)
    if len(report.skipped) > 20:
        print(f"  ... and {len(report.skipped) - 20} more", file=err)


# --- commands -------------------------------------------------------------------------------


def cmd_convert(args: argparse.Namespace) -> int:
    from eventclf.data.readers import ReadReport

    labels = _labels_from(args)
    report = ReadReport()
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for art in _read(args, args.inputs, labels, report):
                fh.write(json.dumps(_native(art), ensure_ascii=False) + "\n")
                n += 1
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _print_report(report, sys.stderr)
    print(f"wrote {n} record(s) to {out}", file=sys.stderr)
    return 0


def _native(art: Any) -> dict[str, Any]:
    if art.is_sentence:
        rec: dict[str, Any] = {"text": art.text, "labels": list(art.sentence_labels)}
        if art.group != art.id:
            rec["doc_id"] = art.group
        return rec | dict(art.metadata)
    rec = {
        "id": art.id,
        "text": art.text,
        "annotations": [
            {"start": a.start, "end": a.end, "label": a.label} for a in art.annotations
        ],
    }
    if art.unsure:
        rec["unsure"] = [{"start": u.start, "end": u.end} for u in art.unsure]
    return rec | {k: v for k, v in art.metadata.items() if k not in rec}


def cmd_stats(args: argparse.Namespace) -> int:
    if args.config:
        from eventclf.data.dataset import build

        overrides = {}
        if args.data:
            overrides["data.sources"] = [{"path": p, "format": args.format} for p in args.data]
        _, rep = build(args.config, overrides)
        print(
            f"articles: {rep.articles}  sentences: {rep.sentences}  "
            f"unsure left out: {rep.unsure_dropped}"
        )
        for split, counts in rep.label_counts.items():
            print(
                f"{split}: {rep.split_articles[split]} articles, "
                f"{rep.split_sentences[split]} sentences; "
                + ", ".join(f"{k} {v}" for k, v in counts.items())
                + f"; near-duplicates removed {rep.near_duplicates_removed.get(split, 0)}"
            )
        return 0
    if not args.data:
        raise ConfigError("stats needs a DATA file or --config")
    from eventclf.config import OverlapPolicy
    from eventclf.data.labelling import label_article
    from eventclf.data.readers import ReadReport
    from eventclf.data.sentences import get_splitter
    from eventclf.evaluate import ALWAYS_DROP

    labels = _labels_from(args)
    report = ReadReport()
    splitter = get_splitter("rules")
    articles = sentences = unsure = 0
    label_counts: Counter[str] = Counter()
    for art in _read(args, args.data, labels, report):
        articles += 1
        for sent in label_article(art, splitter, OverlapPolicy()):
            sentences += 1
            if sent.unsure or art.metadata.get("quality") in ALWAYS_DROP:
                unsure += 1
                continue
            label_counts.update(sent.labels or ("none",))
    _print_report(report, sys.stderr)
    print(f"articles: {articles}  sentences: {sentences}  unsure: {unsure}")
    for name in [*labels, "none"]:
        print(f"  {name}: {label_counts.get(name, 0)}")
    return 0


def _parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {pair!r}: expected KEY=VALUE, e.g. training.seed=3")
        out[key.strip()] = value
    return out


def cmd_train(args: argparse.Namespace) -> int:
    from eventclf.training import train

    path = train(
        args.config,
        _parse_sets(args.set),
        output_dir=args.output,
        overwrite=args.overwrite,
        resume=args.resume,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    print(f"model saved to {path}", file=sys.stderr)
    _print_info(path, sys.stdout)
    return 0


def _print_info(model_dir: Path, out: TextIO) -> None:
    from eventclf.evaluate import metrics_table
    from eventclf.labels import LabelSet
    from eventclf.persistence import read_meta

    meta = read_meta(model_dir)
    labels = LabelSet(meta["labels"])
    print(f"model:      {model_dir} ({meta.get('name')}, backend {meta['backend']})", file=out)
    print(
        f"created:    {meta.get('created_at')}  eventclf {meta.get('versions', {}).get('eventclf')}"
        f"  format {meta['format_version']}",
        file=out,
    )
    print(
        "thresholds: "
        + ", ".join(f"{n} {t:.3f}" for n, t in zip(labels, meta["thresholds"], strict=True)),
        file=out,
    )
    ds = meta.get("dataset", {})
    print(
        f"data:       {ds.get('articles')} articles, {ds.get('sentences')} sentences, "
        f"fingerprint {str(meta.get('data_fingerprint'))[:16]}",
        file=out,
    )
    metrics_path = Path(model_dir) / "metrics.json"
    if metrics_path.exists():
        print("", file=out)
        print(metrics_table(json.loads(metrics_path.read_text("utf-8")), labels), file=out)


def cmd_info(args: argparse.Namespace) -> int:
    from eventclf.persistence import verify_model_dir

    verify_model_dir(args.model)
    _print_info(Path(args.model), sys.stdout)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from eventclf.evaluate import evaluation_rows, metrics_table, write_report
    from eventclf.predict import load

    tagger = load(args.model)
    texts, y, ids, dropped = evaluation_rows(
        tagger,
        args.data,
        format=args.format,
        offsets=args.offsets,
        lenient=args.lenient,
        strict=args.strict,
    )
    out = (
        Path(args.output)
        if args.output
        else Path("reports") / Path(args.model).name / Path(args.data).stem
    )
    name = Path(args.data).stem + ("-strict" if args.strict else "")
    report = out / "report.md"
    if report.exists():
        report.unlink()
    metrics = write_report(
        out,
        split=name,
        texts=texts,
        ids=ids,
        y_true=y,
        proba=tagger.predict_proba(texts),
        thresholds=list(tagger.thresholds),
        labels=tagger.labels,
        title=f"{args.model} on {args.data}",
    )
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", "utf-8")

    print(
        f"{len(texts)} sentences scored; {dropped} left out (unsure/ambiguous"
        f"{'/manual/borderline' if args.strict else ''})",
        file=sys.stderr,
    )
    print(metrics_table(metrics, tagger.labels))
    print(f"report: {report}", file=sys.stderr)
    return 0


def _predict_inputs(files: Sequence[str], fmt: str, errors: list[str]) -> Iterator[dict[str, Any]]:
    from eventclf.data.readers import iter_json_lines

    if not files:
        yield from _jsonl_stream(sys.stdin.buffer, "<stdin>", errors)
        return
    for name in files:
        path = Path(name)
        kind = (
            fmt if fmt != "auto" else ("jsonl" if path.suffix in (".jsonl", ".ndjson") else "text")
        )
        if not path.is_file():
            errors.append(f"{name}: file not found")
            continue
        if kind == "text":
            try:
                text = path.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                errors.append(f"{name}: bytes that are not UTF-8 at byte {exc.start}")
                continue
            yield {"id": path.name, "text": text}
            continue
        for item in iter_json_lines(path):
            if isinstance(item, DataError):
                errors.append(str(item))
                continue
            loc, rec = item
            if not isinstance(rec.get("text"), str):
                errors.append(f"{loc}: field 'text' must be a string")
                continue
            yield {"id": str(rec.get("id", f"{path.name}:{loc.line}")), "text": rec["text"]}


def _jsonl_stream(stream: Any, name: str, errors: list[str]) -> Iterator[dict[str, Any]]:
    for lineno, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw.decode("utf-8-sig"))
        except (ValueError, RecursionError) as exc:
            errors.append(f"{name}, line {lineno}: invalid JSON ({exc})")
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            errors.append(f"{name}, line {lineno}: expected an object with a string 'text'")
            continue
        yield {"id": str(rec.get("id", f"{name}:{lineno}")), "text": rec["text"]}


def _labelstudio_task(result: Any, text: str, model_name: str) -> dict[str, Any]:
    from eventclf.data.records import utf16_to_codepoints

    table = utf16_to_codepoints(text)
    back = {cp: u for u, cp in enumerate(table) if cp >= 0} if table is not None else None
    items = []
    for k, ev in enumerate(result.events):
        s, e = (back[ev.start], back[ev.end]) if back is not None else (ev.start, ev.end)
        items.append(
            {
                "id": f"{result.id}-{k}",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "score": round(ev.score, 6),
                "value": {"start": s, "end": e, "text": ev.text, "labels": [ev.label]},
            }
        )
    score = max((ev.score for ev in result.events), default=0.0)
    return {
        "data": {"text": text, "id": result.id},
        "predictions": [{"model_version": model_name, "score": round(score, 6), "result": items}],
    }


def _complete_lines(path: Path) -> int:
    """Number of complete JSON lines in a partial output; a torn last line is cut off."""
    if not path.exists():
        return 0
    good_end = count = 0
    with path.open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break
            try:
                json.loads(line)
            except ValueError:
                break
            good_end += len(line)
            count += 1
    with path.open("r+b") as fh:
        fh.truncate(good_end)
    return count


def cmd_predict(args: argparse.Namespace) -> int:
    from collections import deque

    from eventclf.predict import load

    labelstudio = args.output_format == "labelstudio"
    skip = 0
    if args.resume:
        if not args.output or labelstudio:
            raise ConfigError("--resume needs --output and the jsonl output format")
        skip = _complete_lines(Path(args.output))
        print(f"resuming after {skip} article(s) already in {args.output}", file=sys.stderr)
    modes: dict[str | None, bool | str] = {None: False, "int8": "int8", "all": "int8-all"}
    quantize = "bf16" if args.bf16 else modes[args.int8]
    tagger = load(args.model, device=args.device, quantize=quantize)
    errors: list[str] = []
    pending_texts: deque[str] = deque()  # tag_many keeps input order

    def inputs() -> Iterator[dict[str, Any]]:
        for n, item in enumerate(_predict_inputs(args.files, args.format, errors)):
            if n < skip:
                continue
            pending_texts.append(item["text"])
            yield item

    name = tagger.meta.get("name", "eventclf")
    with contextlib.ExitStack() as stack:
        mode = "a" if args.resume else "w"
        out: Any = (
            stack.enter_context(open(args.output, mode, encoding="utf-8"))
            if args.output
            else sys.stdout
        )
        progress = None
        if not args.quiet and sys.stderr.isatty():
            from tqdm import tqdm

            progress = stack.enter_context(tqdm(unit=" articles", file=sys.stderr))
        if labelstudio:
            out.write("[\n")
        results = tagger.tag_many(
            inputs(), batch_size=args.batch_size, with_sentences=args.all_sentences
        )
        for n, res in enumerate(results):
            text = pending_texts.popleft()
            if labelstudio:
                task = _labelstudio_task(res, text, name)
                out.write(("" if n == 0 else ",\n") + json.dumps(task, ensure_ascii=False))
            else:
                record = res.to_dict(all_sentences=args.all_sentences)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if n % 64 == 0:
                out.flush()
            if progress is not None:
                progress.update()
        if labelstudio:
            out.write("\n]\n")
    for msg in errors:
        print(f"eventclf: bad input: {msg}", file=sys.stderr)
    return 1 if errors else 0


# --- entry point ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eventclf",
        description="Find arms sales, military exercises and threat statements in news text.",
    )
    parser.add_argument("--version", action="version", version="eventclf 0.1.0")
    parser.add_argument("-v", "--verbose", action="store_true", help="show notes as they come")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("convert", help="convert annotated data to the native JSONL format")
    p.add_argument("inputs", nargs="+", metavar="INPUT")
    p.add_argument("--output", "-o", required=True)
    p.add_argument("--labels", help="comma-separated label set (default: the three defaults)")
    p.add_argument("--config", help="take the label set from this run config")
    _add_data_opts(p)
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("stats", help="validate data and count articles, sentences and labels")
    p.add_argument("data", nargs="*", metavar="DATA")
    p.add_argument("--labels", help="comma-separated label set (default: the three defaults)")
    p.add_argument("--config", help="a run config: its label set and splits are used")
    _add_data_opts(p)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("train", help="train a model from a YAML run config")
    p.add_argument("config")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. --set training.seed=3 (repeatable)",
    )
    p.add_argument("--output", "-o", help="model directory (default: training.output_dir)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing model")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue a transformer run from its last checkpoint (training.run_dir)",
    )
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score a model on labelled data")
    p.add_argument("model")
    p.add_argument("data")
    p.add_argument("--output", "-o", help="report folder (default: reports/MODEL/DATA)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="also leave out rows whose quality is manual or borderline",
    )
    _add_data_opts(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="tag articles (text or JSONL; stdin by default)")
    p.add_argument("model")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument(
        "--format",
        default="auto",
        choices=["auto", "text", "jsonl"],
        help="input format (default: .txt -> text, otherwise jsonl)",
    )
    p.add_argument("--output", "-o", help="write here instead of stdout")
    p.add_argument("--output-format", default="jsonl", choices=["jsonl", "labelstudio"])
    p.add_argument("--all-sentences", action="store_true", help="add every sentence's scores")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run: keep the complete lines already in "
        "--output and tag only the articles after them",
    )
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--device", choices=["cpu", "cuda"], help="transformer models: where to run")
    fast = p.add_mutually_exclusive_group()
    fast.add_argument(
        "--int8",
        nargs="?",
        const="int8",
        choices=["int8", "all"],
        help="transformer models on the CPU: int8 dynamic quantisation (faster); "
        "'--int8 all' also quantises the two layers the default keeps in full precision",
    )
    fast.add_argument(
        "--bf16",
        action="store_true",
        help="transformer models on the CPU: bfloat16 weights (faster on CPUs with native "
        "bf16, such as AVX512-BF16 or AMX; smaller accuracy cost than int8)",
    )
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("info", help="show what a model is and how well it scored")
    p.add_argument("model")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.verbose:  # transformers' load reports and warnings are noise on the CLI
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR, format="eventclf: %(message)s"
    )
    try:
        code: int = args.func(args)
        return code
    except DataErrors as exc:
        print(f"eventclf: error: {exc}", file=sys.stderr)
        return 1
    except EventclfError as exc:
        print(f"eventclf: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("eventclf: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
