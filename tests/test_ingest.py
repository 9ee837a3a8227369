"""Tests of the ingest stage: metadata in plain text, readers, bad input, streaming."""

from __future__ import annotations

import datetime as dt
import json
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import require_data
from copytrace.errors import InputError
from copytrace.ingest import (
    MAX_TEXT_BYTES,
    Document,
    FieldMap,
    Rejection,
    document_from_text,
    extract_metadata,
    parse_date,
    read_document,
    read_documents,
)
from copytrace.ingest.readers import read_unparsed, recorded_inputs

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "press-release"
ARTICLE = "The council met on Tuesday. It approved the budget after a long debate."


def body_of(text: str) -> str:
    found = extract_metadata(text)
    return text[found.body_start : found.body_end]


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def documents(items: list) -> list[Document]:
    return [item for item in items if isinstance(item, Document)]


def rejections(items: list) -> list[Rejection]:
    return [item for item in items if isinstance(item, Rejection)]


def skip_one(path: Path, **kwargs) -> list:
    return list(read_documents([path], on_error="skip", **kwargs))


# --- the bundled example -------------------------------------------------------------


def test_reprint_date_header_is_kept_out_of_the_body():
    document = read_document(EXAMPLES / "reprint.txt")
    assert document.id == "reprint"
    assert document.date == dt.date(2024, 5, 17)
    assert document.body.startswith("A consultative meeting")
    assert "date 2024" not in document.body
    assert document.text == (EXAMPLES / "reprint.txt").read_text(encoding="utf-8")
    assert document.text[document.body_start : document.body_end] == document.body


def test_press_release_credit_line_gives_source_and_date():
    document = read_document(EXAMPLES / "akorda-press-release.txt")
    assert document.date == dt.date(2024, 5, 16)
    assert document.source == "Akorda (official website of President of Kazakhstan)"
    assert document.credit == "Akorda (official website of President of Kazakhstan), 16 May 2024"
    assert document.body.startswith("Welcoming the heads of delegations")
    assert document.body.endswith("Annamyrat Yagmyrov.")
    assert "///" not in document.body and "Akorda" not in document.body
    assert document.text[document.body_start : document.body_end] == document.body


def test_example_folder_reads_both_articles_in_name_order():
    ids = [document.id for document in read_documents([EXAMPLES])]
    assert ids == ["akorda-press-release", "reprint"]
    assert [document.id for document in read_documents(str(EXAMPLES))] == ids  # one path, not a list


def test_seed_data_matches_the_bundled_example():
    seeds = require_data("seeds")
    by_date = {document.date: document for document in read_documents([seeds])}
    assert set(by_date) == {dt.date(2024, 5, 16), dt.date(2024, 5, 17)}
    assert "Akorda" in by_date[dt.date(2024, 5, 16)].source


# --- metadata rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-16", dt.date(2024, 5, 16)),
        ("16 May 2024", dt.date(2024, 5, 16)),
        ("May 16, 2024", dt.date(2024, 5, 16)),
        ("Sept. 3, 2023", dt.date(2023, 9, 3)),
        ("3rd March 2020", dt.date(2020, 3, 3)),
        ("2024-05-16T09:30:00Z", dt.date(2024, 5, 16)),
        ("2024-02-30", None),
        ("yesterday", None),
        ("16 May", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_date_header_on_its_own_line():
    text = "Date: May 16, 2024\n" + ARTICLE
    found = extract_metadata(text)
    assert found.date == dt.date(2024, 5, 16)
    assert body_of(text) == ARTICLE


def test_header_that_is_not_a_date_is_article_text():
    text = "Date night is back in fashion. " + ARTICLE
    assert body_of(text) == text
    assert extract_metadata(text).date is None


def test_wire_dateline_with_place():
    text = "WASHINGTON (Reuters) - " + ARTICLE
    found = extract_metadata(text)
    assert found.source == "Reuters"
    assert found.credit == "WASHINGTON (Reuters) -"
    assert body_of(text) == ARTICLE


def test_wire_dateline_with_place_and_date():
    text = "LONDON, May 16, 2024 (Reuters) - " + ARTICLE
    found = extract_metadata(text)
    assert (found.source, found.date) == ("Reuters", dt.date(2024, 5, 16))
    assert body_of(text) == ARTICLE


def test_bare_agency_dateline_and_trailing_agency_credit():
    text = f"(AP) — {ARTICLE}\n— AP"
    found = extract_metadata(text)
    assert found.source == "AP"
    assert body_of(text) == ARTICLE


@pytest.mark.parametrize("dash", ["—", "-", "–"])
def test_trailing_agency_credit_after_last_sentence(dash):
    text = f"{ARTICLE} {dash} AP"
    assert extract_metadata(text).source == "AP"
    assert body_of(text) == ARTICLE


def test_source_line_with_date():
    text = f"{ARTICLE}\nSource: Ministry of Health, May 16, 2024"
    found = extract_metadata(text)
    assert (found.source, found.date) == ("Ministry of Health", dt.date(2024, 5, 16))
    assert body_of(text) == ARTICLE


def test_byline_and_reporting_credits_are_not_sources():
    text = f"By Jane Doe and John Roe\n{ARTICLE}\n\n(Reporting by Jane Doe; Editing by John Roe)"
    found = extract_metadata(text)
    assert found.source is None
    assert found.credit == "By Jane Doe and John Roe | (Reporting by Jane Doe; Editing by John Roe)"
    assert body_of(text) == ARTICLE


def test_several_trailing_credits_are_all_removed():
    text = f"{ARTICLE}\n(Reporting by Jane Doe)\n— Reuters"
    found = extract_metadata(text)
    assert found.source == "Reuters"
    assert body_of(text) == ARTICLE


@pytest.mark.parametrize(
    "text",
    [
        "The plan has three parts:\n- More Funding\n- Tax Cuts",  # a list, not a credit
        "Read the guide at file:///usr/share/doc",  # /// inside a word
        "The score was 3-1 - a fair result",  # a dash that is not a credit
        "— AP",  # nothing would be left
        "Ends with a slash ///",
        "He left the room. — Smith, who was 40.",  # an aside after a dash, not a credit
    ],
)
def test_article_text_is_never_stripped(text):
    assert body_of(text) == text.strip()


def test_offsets_stay_offsets_into_the_original_text():
    text = f"  date 2024-05-17   {ARTICLE} ///Agency X, 16 May 2024 \n\n"
    found = extract_metadata(text)
    assert text[found.body_start : found.body_end] == ARTICLE


# --- readers ------------------------------------------------------------------------


def test_text_file_with_bom_and_crlf(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfdate 2024-05-17\r\nFirst line.\r\nSecond line.\r\n")
    document = read_document(path)
    assert document.text == "date 2024-05-17\r\nFirst line.\r\nSecond line.\r\n"
    assert document.body == "First line.\r\nSecond line."
    assert document.date == dt.date(2024, 5, 17)


def test_folder_is_read_recursively_in_order_with_all_formats(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "one.txt").write_text("Text in b.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Text a.", encoding="utf-8")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "one.txt").write_text("Text in c.", encoding="utf-8")
    write_jsonl(tmp_path / "d.jsonl", [{"id": "j1", "text": "JSON text."}])
    (tmp_path / "e.csv").write_text("id,text\nc1,CSV text.\n", encoding="utf-8")
    pq.write_table(pa.table({"id": ["p1"], "text": ["Parquet text."]}), tmp_path / "f.parquet")
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("hidden", encoding="utf-8")
    ids = [document.id for document in read_documents([tmp_path])]
    assert ids == ["a", "b/one", "c/one", "j1", "c1", "p1"]


def test_symlink_loops_are_walked_once(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    (news / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (news / "self").symlink_to(".")
    (news / "up").symlink_to("..")
    (news / "sub").mkdir()
    (news / "sub" / "root").symlink_to("../..")
    assert [document.id for document in read_documents([news])] == ["a"]


def test_symlinked_files_and_folders_are_followed_once_each(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "far.txt").write_text("Text far away.", encoding="utf-8")
    news = tmp_path / "news"
    (news / "real").mkdir(parents=True)
    (news / "real" / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (news / "a-link.txt").symlink_to("real/a.txt")  # the same file: read once, by its real path
    (news / "b-link").symlink_to("real")
    (news / "c-far").symlink_to(elsewhere)  # outside the folder: followed
    (news / "d-far.txt").symlink_to(elsewhere / "far.txt")  # read through c-far already
    (news / "e-dangling.txt").symlink_to("nowhere.txt")
    items = list(read_documents([news, news / "real", elsewhere / "far.txt"], on_error="skip"))
    assert [document.id for document in documents(items)] == ["real/a", "c-far/far"]
    (dangling,) = rejections(items)
    assert dangling.where == str(news / "e-dangling.txt") and "No such file" in dangling.reason


def test_an_unreadable_subfolder_is_a_rejection_naming_it(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.txt").write_text(ARTICLE, encoding="utf-8")
    scandir = os.scandir

    def denied(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    items = skip_one(tmp_path)
    assert [document.id for document in documents(items)] == ["a"]
    assert [(r.where, r.reason) for r in rejections(items)] == [
        (str(tmp_path / "locked"), "cannot read folder: Permission denied")
    ]
    assert refused(tmp_path).where == str(tmp_path / "locked")
    with pytest.raises(InputError, match="cannot read folder: Permission denied"):
        read_documents([tmp_path / "locked"], on_error="skip")  # a folder given is refused at once


def test_outputs_of_a_run_are_never_its_inputs(tmp_path):
    rejects = write_jsonl(tmp_path / "rejects.jsonl", [{"id": "r", "text": "A rejects file."}])
    write_jsonl(tmp_path / "in.jsonl", [{"id": "1", "text": ARTICLE}])
    outputs = {str(rejects): "the rejects file"}
    reads = read_unparsed([tmp_path], outputs=outputs)
    assert [read.where for read in reads] == [f"{tmp_path / 'in.jsonl'}:1"]
    (tmp_path / "link.jsonl").symlink_to(rejects)
    assert [read.where for read in read_unparsed([tmp_path], outputs=outputs)] == [f"{tmp_path / 'in.jsonl'}:1"]
    for given in (rejects, tmp_path / "link.jsonl", tmp_path / "." / "rejects.jsonl"):
        with pytest.raises(InputError, match="is the rejects file of this run") as error:
            read_unparsed([tmp_path / "in.jsonl", given], outputs=outputs)
        assert error.value.where == str(given)


def test_jsonl_with_all_fields(tmp_path):
    record = {
        "id": "x1", "text": ARTICLE, "date": "2024-05-16", "source": "Agency",
        "url": "https://example.org/x1", "title": "Budget", "language": "en",
    }
    (document,) = read_documents([write_jsonl(tmp_path / "in.jsonl", [record])])
    assert document == Document(
        id="x1", text=ARTICLE, date=dt.date(2024, 5, 16), source="Agency",
        url="https://example.org/x1", title="Budget", language="en",
        body_start=0, body_end=len(ARTICLE),
    )


def test_record_fields_win_over_metadata_in_the_text(tmp_path):
    text = f"{ARTICLE} ///Akorda, 16 May 2024"
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "1", "text": text, "date": "2020-01-02", "source": "Desk"}])
    (document,) = read_documents([path])
    assert (document.date, document.source) == (dt.date(2020, 1, 2), "Desk")
    assert document.credit == "Akorda, 16 May 2024"
    assert document.body == ARTICLE


def test_record_without_date_or_source_takes_them_from_the_text(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "1", "text": f"WASHINGTON (Reuters) - {ARTICLE}"}])
    (document,) = read_documents([path])
    assert document.source == "Reuters"
    assert document.body == ARTICLE


def test_records_without_id_are_named_by_file_and_line(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"text": "One."}) + "\n\n" + json.dumps({"text": "Two.", "id": 7}) + "\n")
    assert [document.id for document in read_documents([path])] == ["feed:1", "7"]



def test_records_without_id_in_files_of_one_name_in_a_folder_do_not_collide(tmp_path):
    """A daily dump (2024-05-01/feed.jsonl, 2024-05-02/feed.jsonl) names its records by
    their path under the folder given, as text files are named."""
    for day in ("01", "02"):
        (tmp_path / day).mkdir()
        write_jsonl(tmp_path / day / "feed.jsonl", [{"text": f"Story of day {day}."}])
        (tmp_path / day / "table.csv").write_text(f"text\nRow of day {day}.\n", encoding="utf-8")
        pq.write_table(pa.table({"text": [f"Parquet of day {day}."]}), tmp_path / day / "rows.parquet")
    records = list(read_documents([tmp_path], on_error="skip"))
    assert [record.id for record in records] == [
        "01/feed:1", "01/rows:1", "01/table:2", "02/feed:1", "02/rows:1", "02/table:2"]
    assert [document.id for document in read_documents([tmp_path / "01" / "feed.jsonl"])] == ["feed:1"]


def test_csv_with_field_map_and_quoted_newlines(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('doc_id,body,published\n1,"First line.\nSecond line.",16 May 2024\n', encoding="utf-8")
    field_map = FieldMap.parse("id=doc_id, text=body,date=published")
    (document,) = read_documents([path], field_map)
    assert (document.id, document.text, document.date) == ("1", "First line.\nSecond line.", dt.date(2024, 5, 16))


def test_csv_fields_longer_than_the_csv_module_default(tmp_path):
    long_text = "word " * 100_000
    path = tmp_path / "in.csv"
    path.write_text(f"id,text\n1,{long_text}\n", encoding="utf-8")
    (document,) = read_documents([path])
    assert document.text == long_text


def test_parquet_with_field_map_and_typed_columns(tmp_path):
    path = tmp_path / "in.parquet"
    table = pa.table({
        "doc": pa.array([10, 11], pa.int64()),
        "body": ["Alpha text.", "Beta text."],
        "day": pa.array([dt.date(2024, 5, 16), None], pa.date32()),
    })
    pq.write_table(table, path)
    result = list(read_documents([path], FieldMap.parse("id=doc,text=body,date=day")))
    assert [(d.id, d.text, d.date) for d in result] == [
        ("10", "Alpha text.", dt.date(2024, 5, 16)),
        ("11", "Beta text.", None),
    ]


def test_document_from_text_keeps_the_string_and_reads_metadata():
    text = f"date 2024-05-17 {ARTICLE}"
    document = document_from_text(text, id="a")
    assert (document.id, document.text, document.date, document.body) == ("a", text, dt.date(2024, 5, 17), ARTICLE)
    assert document_from_text(ARTICLE, id="b", source="Desk").source == "Desk"


def test_real_csv_with_field_map():
    path = require_data("semeval2022-task8-sample/train.csv")
    items = list(read_documents([path], FieldMap.parse("id=pair_id,text=text1,language=lang1"), on_error="skip"))
    assert len(items) == 1283  # one record per data row
    assert all("duplicate id" in rejection.reason for rejection in rejections(items))
    assert {document.language for document in documents(items)} >= {"en", "de", "pl"}


# --- field map --------------------------------------------------------------------------


def test_field_map_defaults_and_parsing():
    assert FieldMap() == FieldMap.parse("")
    field_map = FieldMap.parse("id=doc_id,text=body")
    assert (field_map.id, field_map.text, field_map.date) == ("doc_id", "body", "date")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("txt=body", "unknown field 'txt'"),
        ("text", "'text' is not FIELD=COLUMN"),
        ("text=", "'text=' is not FIELD=COLUMN"),
        ("text=a,text=b", "field 'text' is mapped twice"),
    ],
)
def test_bad_field_map(spec, message):
    with pytest.raises(InputError, match=message) as error:
        FieldMap.parse(spec)
    assert error.value.where == "field map"


# --- bad input ----------------------------------------------------------------------------


def refused(path: Path, **kwargs) -> InputError:
    with pytest.raises(InputError) as error:
        list(read_documents([path], **kwargs))
    return error.value


def test_missing_file_is_refused_before_reading(tmp_path):
    with pytest.raises(InputError, match="no such file or folder") as error:
        read_documents([tmp_path / "absent.txt"])
    assert error.value.where == str(tmp_path / "absent.txt")


def test_unknown_format(tmp_path):
    path = tmp_path / "article.docx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError, match=r"unknown format '\.docx'"):
        read_documents([path])


def test_folder_with_nothing_readable(tmp_path):
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="folder holds no readable files"):
        read_documents([tmp_path])


def test_no_paths():
    with pytest.raises(InputError, match="no files given"):
        read_documents([])


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "locked.txt"
    path.write_text(ARTICLE, encoding="utf-8")

    opened = Path.open

    def denied(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    error = refused(path)
    assert (error.where, error.reason) == (str(path), "cannot read: Permission denied")


@pytest.mark.parametrize("content", [b"", b"  \n\t\n"])
def test_empty_text(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    error = refused(path)
    assert (error.where, error.reason) == (str(path), "empty text")


def test_empty_body_after_header(tmp_path):
    path = tmp_path / "header-only.txt"
    path.write_text(" date 2024-05-17 \n", encoding="utf-8")
    assert "empty body" in refused(path).reason


def test_invalid_utf8_names_byte_and_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("First line.\nCaf\u00e9 au lait.".encode("latin-1"))
    assert refused(path).reason == "binary or not UTF-8: invalid UTF-8 at byte 15, line 2"


def test_binary_file(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert "binary" in refused(path).reason


def test_mostly_nul_file_is_binary_but_a_stray_nul_is_kept(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes(b"a\x00" * 100)
    assert refused(path).reason.startswith("binary data")
    stray = tmp_path / "stray.txt"
    stray.write_bytes(b"Published text with a stray \x00 byte.")
    assert read_document(stray).text == "Published text with a stray \x00 byte."


def test_utf16_file(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_text(ARTICLE, encoding="utf-16")
    assert refused(path).reason == "UTF-16 text; save it as UTF-8"


def test_text_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as stream:
        stream.truncate(MAX_TEXT_BYTES + 1)  # sparse: no NULs are read, the size decides
    assert "over the 10,000,000-byte limit" in refused(path).reason


def test_a_text_file_whose_path_makes_a_bad_id_is_refused_as_a_record_would_be(tmp_path):
    (tmp_path / "line\nbreak.txt").write_text("A text.", encoding="utf-8")
    error = refused(tmp_path)
    assert error.reason == "id holds a control character (U+000A) at character 4"


def test_a_device_linked_as_a_text_file_is_read_no_further_than_the_limit(tmp_path):
    (tmp_path / "zero.txt").symlink_to("/dev/zero")  # size 0 to stat, endless to read
    assert refused(tmp_path / "zero.txt").reason == "file is over the 10,000,000-byte limit"


def test_json_nested_too_deeply_is_one_rejected_line(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "Good."}) + "\n"
                    + '{"id": "2", "text": "Deep.", "t": ' + "[" * 5000 + "]" * 5000 + "}\n", encoding="utf-8")
    items = skip_one(path)
    assert [d.id for d in documents(items)] == ["1"]
    assert [(r.where, r.reason) for r in rejections(items)] == [(f"{path}:2", "malformed JSON: nested too deeply")]


def test_parquet_dates_beyond_pythons_are_one_rejected_row_each(tmp_path):
    path = tmp_path / "dates.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": ["One text.", "Two text.", "Three text."],
                             "date": pa.array([-10**14, 2, 10**15], pa.timestamp("ms"))}), path)
    items = skip_one(path)
    assert [d.id for d in documents(items)] == ["b"]
    assert [(r.where, r.reason.split(" (")[0]) for r in rejections(items)] == [
        (f"{path}:row 1", "field 'date': value out of range"), (f"{path}:row 3", "field 'date': value out of range")]


def test_record_text_over_the_size_limit(tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", [{"id": "1", "text": "é" * (MAX_TEXT_BYTES // 2 + 1)}])
    (rejection,) = skip_one(path)
    assert rejection.where == f"{path}:1"
    assert "over the 10,000,000-byte limit" in rejection.reason


def test_malformed_json_line_names_file_and_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "Good."}) + "\n{not json\n", encoding="utf-8")
    error = refused(path)
    assert error.where == f"{path}:2"
    assert error.reason.startswith("malformed JSON")
    assert str(error).startswith(f"{path}:2: malformed JSON")


@pytest.mark.parametrize(
    "record, reason",
    [
        ([1, 2], "expected a JSON object, got an array"),
        (None, "expected a JSON object, got null"),
        ("text", "expected a JSON object, got a string"),
        ({"id": "1"}, "no text (field 'text')"),
        ({"id": "1", "text": 5}, "field 'text' must be a string, got a number"),
        ({"id": "", "text": "x"}, "field 'id' is empty"),
        ({"id": " \t", "text": "x"}, "field 'id' is empty"),
        ({"id": True, "text": "x"}, "field 'id' must be a string or an integer, got true"),
        ({"id": "1", "text": " "}, "empty text"),
        ({"id": 1.5, "text": "x"}, "field 'id' must be a string or an integer, got a number"),
        ({"id": "é" * 513, "text": "x"}, "id is 1,026 bytes long in UTF-8; an id may have 1,024"),
        ({"id": "nul\u0000x", "text": "x"}, "id holds a control character (U+0000) at character 3"),
        ({"id": "line\nbreak", "text": "x"}, "id holds a control character (U+000A) at character 4"),
        ({"id": "next\u0085line", "text": "x"}, "id holds a control character (U+0085) at character 4"),
        ({"id": "..", "text": "x"}, "id '..' is only dots, which a URL reads as a folder"),
        ({"id": "1", "text": "x", "date": "someday"}, "field 'date': invalid date 'someday' (use YYYY-MM-DD)"),
        ({"id": "1", "text": "x", "date": "2024-02-30"}, "field 'date': invalid date '2024-02-30' (use YYYY-MM-DD)"),
        ({"id": "1", "text": "x", "title": ["a"]}, "field 'title' must be a string, got an array"),
        ({"id": "1", "text": "x", "date": "9" * 10_000}, f"field 'date': invalid date '{'9' * 40}…' (use YYYY-MM-DD)"),
        ({"id": "1", "text": "a \ud800 b"}, "text holds an unpaired surrogate at character 2, not valid Unicode"),
        ({"id": "1", "text": "x", "source": "\udfff"}, "source holds an unpaired surrogate at character 0, not valid Unicode"),
    ],
)
def test_bad_jsonl_records(tmp_path, record, reason):
    path = write_jsonl(tmp_path / "in.jsonl", [record])
    error = refused(path)
    assert (error.where, error.reason) == (f"{path}:1", reason)


def test_invalid_utf8_in_jsonl_names_the_file_offset(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    error = refused(path)
    assert (error.where, error.reason) == (f"{path}:2", "binary or not UTF-8: invalid UTF-8 at byte 28, line 2")


def test_csv_without_text_column(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,body\n1,x\n", encoding="utf-8")
    error = refused(path)
    assert error.where == str(path)
    assert "no text column 'text' (columns: id, body)" in error.reason


def test_a_column_that_fields_names_and_a_file_lacks_refuses_the_file(tmp_path):
    table = tmp_path / "in.csv"
    table.write_text("doc_id,text,published\n1,A text.,2024-01-02\n", encoding="utf-8")
    parquet = tmp_path / "in.parquet"
    pq.write_table(pa.table({"doc_id": ["1"], "text": ["A text."]}), parquet)
    fields = FieldMap.parse("id=doc_id,date=pubdate")
    for path, columns in ((table, "doc_id, text, published"), (parquet, "doc_id, text")):
        error = refused(path, field_map=fields)
        assert (error.where, error.reason) == (str(path), f"no column for date=pubdate (columns: {columns})")
    assert [d.id for d in read_documents([table], FieldMap.parse("id=doc_id,date=published"))] == ["1"]


def test_csv_rows_ended_by_a_lone_carriage_return_are_each_read(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b'id,text\rq1,one text\rq2,"two\rlines"\rq3,three\r\n')  # old Mac OS line ends, one CRLF
    assert [(d.id, d.text) for d in read_documents([path])] == [("q1", "one text"), ("q2", "two\rlines"), ("q3", "three")]
    path.write_bytes(b'id,text\rq1,one\rq2,"a \xff"\rq3,three\r')
    records = list(read_documents([path], on_error="skip"))
    assert [getattr(r, "id", None) or r.where for r in records] == ["q1", f"{path}:3", "q3"]


def test_a_column_read_twice_refuses_the_file(tmp_path):
    table = tmp_path / "twice.csv"
    table.write_text("id,text,text\nz1,one,two\n", encoding="utf-8")  # a reader would keep 'two' alone
    error = refused(table)
    assert (error.where, error.reason) == (str(table), "column 'text' named more than once (columns: id, text, text)")
    pq.write_table(pa.Table.from_arrays([pa.array(["z1"]), pa.array(["one"]), pa.array(["two"])], names=["id", "text", "text"]),
                   tmp_path / "twice.parquet")
    assert "column 'text' named more than once" in refused(tmp_path / "twice.parquet").reason
    (tmp_path / "other.csv").write_text("id,text,note,note\nz2,one,a,b\n", encoding="utf-8")  # columns not read
    assert [d.text for d in read_documents([tmp_path / "other.csv"])] == ["one"]


def test_csv_row_with_wrong_field_count_and_row_without_text(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,text\n1,Good.\n2,Bad,extra\n3,\n4\n,No id.\n", encoding="utf-8")
    items = skip_one(path)
    assert [document.id for document in documents(items)] == ["1"]
    assert [(r.where, r.reason, r.raw) for r in rejections(items)] == [
        (f"{path}:3", "row has 3 fields, header has 2", "2,Bad,extra"),
        (f"{path}:4", "empty text", "3,"),
        (f"{path}:5", "row has 1 field, header has 2", "4"),
        (f"{path}:6", "field 'id' is empty", ",No id."),
    ]


def test_csv_invalid_utf8_refuses_its_row_and_the_rest_is_read(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b'id,text\n1,Good.\n2,"caf\xe9\nover two lines"\n3,Read too.\n')
    items = skip_one(path)
    assert [document.id for document in documents(items)] == ["1", "3"]
    (rejection,) = rejections(items)
    assert rejection.where == f"{path}:3"
    assert rejection.reason == "binary or not UTF-8: invalid UTF-8 at byte 22, line 3"


def test_text_after_a_closing_quote_refuses_that_row_and_the_rest_is_read(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,text\n1,"Hello," she said\n2,A 12" record and "quotes" inside.\n3,Fine.\n', encoding="utf-8")
    items = skip_one(path)
    assert [document.id for document in documents(items)] == ["2", "3"]
    (rejection,) = rejections(items)
    assert (rejection.where, rejection.reason) == (f"{path}:2", "malformed CSV: ',' expected after '\"'")


def test_a_csv_quote_left_open_is_refused_not_a_field_that_swallows_the_file(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,text\n1,Good.\n2,"Opened and never closed.\n3,Swallowed?\n4,Swallowed?\n', encoding="utf-8")
    items = skip_one(path)
    assert [document.id for document in documents(items)] == ["1"]
    (rejection,) = rejections(items)
    assert (rejection.where, rejection.reason) == (
        f"{path}:3", "malformed CSV: unexpected end of data; the rest of the file is not read")


def test_parquet_without_text_column_and_corrupt_parquet(tmp_path):
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["1"], "body": ["x"]}), path)
    assert "no text column 'text'" in refused(path).reason
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"not parquet at all")
    assert refused(corrupt).reason.startswith("cannot read Parquet")


def test_parquet_bad_row_names_the_row(tmp_path):
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["1", "2"], "text": ["Good.", None]}), path)
    error = refused(path)
    assert (error.where, error.reason) == (f"{path}:row 2", "no text (field 'text')")


def test_duplicate_ids_across_files_reject_the_second(tmp_path):
    first = write_jsonl(tmp_path / "a.jsonl", [{"id": "same", "text": "First."}])
    second = tmp_path / "b.csv"
    second.write_text("id,text\nsame,Second.\n", encoding="utf-8")
    items = list(read_documents([first, second], on_error="skip"))
    assert [document.text for document in documents(items)] == ["First."]
    (rejection,) = rejections(items)
    assert (rejection.where, rejection.reason, rejection.raw) == (
        f"{second}:2", "duplicate id 'same' (already read in this run)", "same,Second.",
    )
    with pytest.raises(InputError, match="duplicate id 'same'"):
        list(read_documents([first, second]))


def test_read_document_needs_exactly_one_article(tmp_path):
    path = write_jsonl(tmp_path / "two.jsonl", [{"text": "One."}, {"text": "Two."}])
    with pytest.raises(InputError, match="more than one record"):
        read_document(path)
    (tmp_path / "blank.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no records"):
        read_document(tmp_path / "blank.jsonl")
    with pytest.raises(InputError, match="is a folder"):
        read_document(EXAMPLES)
    assert read_document(write_jsonl(tmp_path / "one.jsonl", [{"id": "o", "text": "One."}])).id == "o"


def test_document_from_text_refuses_empty_text():
    with pytest.raises(InputError, match="text 'a': empty text"):
        document_from_text("  ", id="a")


def test_bad_on_error_value(tmp_path):
    with pytest.raises(InputError, match="must be 'fail' or 'skip'"):
        read_documents([EXAMPLES], on_error="ignore")


def test_rejection_json():
    rejection = Rejection("in.jsonl:3", "empty text", '{"text": ""}', 12)
    assert rejection.to_json() == {
        "schema": "copytrace.rejection/2", "where": "in.jsonl:3", "reason": "empty text", "raw": '{"text": ""}',
        "raw_length": 12,
    }


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_huge_rejected_record_keeps_a_bounded_excerpt_and_its_place(tmp_path, suffix):
    huge = "é" * 5_000_000
    path = tmp_path / f"in.{suffix}"
    if suffix == "jsonl":
        path.write_text(json.dumps({"id": "1", "text": huge, "date": "someday"}, ensure_ascii=False) + "\n", encoding="utf-8")
        raw = json.dumps({"id": "1", "text": huge, "date": "someday"}, ensure_ascii=False)
    else:
        path.write_text(f"id,text\n1,{huge},extra\n", encoding="utf-8")
        raw = f"1,{huge},extra"
    (rejection,) = skip_one(path)
    assert rejection.where == f"{path}:{1 if suffix == 'jsonl' else 2}"
    assert rejection.raw == raw[:1000] and rejection.raw_length == len(raw)
    assert len(json.dumps(rejection.to_json(), ensure_ascii=False)) < 2000


# --- streaming and accounting -------------------------------------------------------------


def test_reading_is_lazy(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "Good."}) + "\n{broken\n", encoding="utf-8")
    records = read_documents([path])
    assert isinstance(records, Iterator)
    assert next(records).id == "1"  # the broken second line has not been read yet
    with pytest.raises(InputError):
        next(records)


def big_records(count: int) -> Iterator[dict]:
    sentence = "Officials said the new bridge would open next spring after repairs. "
    for number in range(count):
        yield {"id": f"doc{number}", "text": f"{number}: " + sentence * 60}


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_memory_stays_flat_while_streaming_a_large_file(tmp_path, suffix):
    path = tmp_path / f"big.{suffix}"
    records = list(big_records(2000))
    text_bytes = sum(len(record["text"]) for record in records)
    if suffix == "jsonl":
        write_jsonl(path, records)
    elif suffix == "csv":
        path.write_text("id,text\n" + "".join(f"{r['id']},{r['text']}\n" for r in records), encoding="utf-8")
    else:
        pq.write_table(pa.Table.from_pylist(records), path)
    del records
    tracemalloc.start()
    count = sum(1 for _ in read_documents([path]))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 2000
    # A batch of records and the set of ids seen, never all the texts.
    assert peak < text_bytes / 4


def test_every_record_read_is_accepted_or_rejected(tmp_path):
    lines = [
        json.dumps({"id": "1", "text": "Good."}),
        "{broken",
        json.dumps({"id": "2"}),
        "",  # blank lines are not records
        json.dumps({"id": "1", "text": "Duplicate."}),
        json.dumps({"id": "3", "text": "Also good.", "date": "May 16, 2024"}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = skip_one(path)
    assert len(items) == 5
    assert [document.id for document in documents(items)] == ["1", "3"]
    assert [rejection.where for rejection in rejections(items)] == [f"{path}:2", f"{path}:3", f"{path}:5"]
    assert rejections(items)[0].raw == "{broken"


def test_runs_record_local_inputs_as_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert recorded_inputs(["news", Path("a.jsonl"), "file:///data/x.jsonl", "file:/data/y", "s3a://bucket/key"]) == [
        str(tmp_path / "news"), str(tmp_path / "a.jsonl"), "/data/x.jsonl", "/data/y", "s3a://bucket/key"]
