"""scripts/backup.sh and scripts/restore.sh on the demo database of `make test`: restored into a
fresh database (and into a fresh PostgreSQL cluster), the counts of cases, calls, messages and
attachments match, an attachment's bytes come back from the restored filestore, and the
recordings and the bridge's spool come back too. A damaged backup and an existing database are
refused without touching anything."""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from upgrade_support import ROOT, filestore, psql, sha1_of

SOURCE_DB = os.environ.get("HOTLINE_TEST_DB")
RESTORED_DB = "t_bak_restored"
SECOND_DB = "t_bak_second"
REFUSED_DB = "t_bak_refused"
CLUSTER_DB = "t_bak_cluster"
COUNTED = {
    "cases": "SELECT count(*) FROM hotline_case",
    "calls": "SELECT count(*) FROM hotline_call",
    "messages": "SELECT count(*) FROM mail_message",
    "attachments": "SELECT count(*) FROM ir_attachment",
}

pytestmark = pytest.mark.skipif(
    not (SOURCE_DB and os.environ.get("HOTLINE_ODOO_CMD")),
    reason="runs through `make test` on its demo database (HOTLINE_TEST_DB is not set)",
)


def run_script(name, *args, env=None):
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


def counts(db):
    return {name: int(psql(db, query)[0][0]) for name, query in COUNTED.items()}


def drop(db):
    psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    shutil.rmtree(filestore(db), ignore_errors=True)


def write_spool(path):
    """A bridge spool with two items not yet delivered, left open (in its WAL) while backed up."""
    sys.path.insert(0, str(ROOT / "pbx" / "bridge" / "src"))
    from hotline_pbx_bridge.spool import Spool  # noqa: PLC0415

    spool = Spool(path)
    spool.append([("event", {"id": "bak-1", "kind": "ringing"}), ("event", {"id": "bak-2", "kind": "hangup"})])
    return spool


@pytest.fixture(scope="module")
def backup(tmp_path_factory):
    for db in (RESTORED_DB, SECOND_DB, REFUSED_DB):
        drop(db)
    folder = tmp_path_factory.mktemp("backup")
    spool = write_spool(folder / "bridge" / "spool.sqlite3")
    try:
        result = run_script(
            "backup.sh",
            "-d",
            SOURCE_DB,
            "-o",
            str(folder / "out"),
            "--no-recordings",
            "--spool",
            str(folder / "bridge" / "spool.sqlite3"),
        )
    finally:
        spool.close()
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    yield path
    for db in (RESTORED_DB, SECOND_DB, REFUSED_DB):
        drop(db)


def test_backup_folder_has_manifest_and_checksums(backup):
    names = sorted(path.name for path in backup.iterdir())
    assert names == ["SHA256SUMS", "db.dump", "filestore.tar", "manifest.txt", "spool-0.sqlite3"]
    manifest = dict(line.split(" ", 1) for line in (backup / "manifest.txt").read_text().splitlines())
    assert manifest["database"] == SOURCE_DB
    assert int(manifest["count.cases"]) == counts(SOURCE_DB)["cases"]
    assert manifest["spool.0.outbox"] == "2"
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=backup, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout


def test_restore_into_a_fresh_database(backup, tmp_path):
    spool_copy = tmp_path / "bridge" / "spool.sqlite3"
    result = run_script("restore.sh", str(backup), "-d", RESTORED_DB, "--spool-to", str(spool_copy))
    assert result.returncode == 0, result.stderr
    assert counts(RESTORED_DB) == counts(SOURCE_DB)
    assert counts(RESTORED_DB)["cases"] > 0 and counts(RESTORED_DB)["calls"] > 0
    # every stored attachment, hotline ones first: the restored filestore gives the same bytes
    stored = psql(
        SOURCE_DB,
        "SELECT id, store_fname, checksum FROM ir_attachment WHERE store_fname IS NOT NULL "
        "ORDER BY res_model LIKE 'hotline.%' DESC, id",
    )
    assert stored, "the demo database has attachments in its filestore"
    for attachment_id, store_fname, checksum in stored[:20]:
        restored = filestore(RESTORED_DB) / store_fname
        assert restored.is_file(), f"attachment {attachment_id}: {store_fname} not restored"
        assert sha1_of(restored) == checksum == sha1_of(filestore(SOURCE_DB) / store_fname)
    with sqlite3.connect(spool_copy) as db:
        assert [row[0] for row in db.execute("SELECT item_id FROM outbox ORDER BY seq")] == ["bak-1", "bak-2"]


def test_recordings_come_back_and_the_pbx_points_to_them(backup, tmp_path):
    if not psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{RESTORED_DB}'"):
        assert run_script("restore.sh", str(backup), "-d", RESTORED_DB).returncode == 0
    recordings = tmp_path / "monitor"
    recordings.mkdir()
    (recordings / "q-1001-1795651783.0.wav").write_bytes(b"RIFF-recording-of-a-call")
    psql(RESTORED_DB, f"UPDATE hotline_pbx SET recording_path = '{recordings}' WHERE active")
    result = run_script("backup.sh", "-d", RESTORED_DB, "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    second = Path(result.stdout.strip().splitlines()[-1])
    assert "recordings.0.files 1" in (second / "manifest.txt").read_text()

    moved = tmp_path / "restored-monitor"
    result = run_script("restore.sh", str(second), "-d", SECOND_DB, "--recordings-to", str(moved))
    assert result.returncode == 0, result.stderr
    assert (moved / "q-1001-1795651783.0.wav").read_bytes() == b"RIFF-recording-of-a-call"
    paths = {row[0] for row in psql(SECOND_DB, "SELECT recording_path FROM hotline_pbx WHERE active")}
    assert paths == {str(moved)}


def test_existing_database_and_damaged_backup_are_refused(backup, tmp_path):
    result = run_script("restore.sh", str(backup), "-d", SOURCE_DB)
    assert result.returncode != 0 and "already exists" in result.stderr

    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    with open(damaged / "db.dump", "r+b") as dump:
        dump.seek(1000)
        byte = dump.read(1)
        dump.seek(1000)
        dump.write(bytes([byte[0] ^ 0xFF]))
    result = run_script("restore.sh", str(damaged), "-d", REFUSED_DB)
    assert result.returncode != 0 and "damaged" in result.stderr
    assert not psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{REFUSED_DB}'")
    assert not filestore(REFUSED_DB).exists()


def test_restore_fails_when_the_database_differs_from_the_manifest(backup, tmp_path):
    """The manifest's counts are what the restore is checked against: a mismatch fails it."""
    altered = tmp_path / "altered"
    shutil.copytree(backup, altered)
    manifest = altered / "manifest.txt"
    lines = manifest.read_text().splitlines()
    lines = [f"count.cases {int(line.split()[1]) + 1}" if line.startswith("count.cases ") else line for line in lines]
    manifest.write_text("\n".join(lines) + "\n")
    sums = subprocess.run(
        "sha256sum -- db.dump filestore.tar manifest.txt spool-0.sqlite3",
        shell=True,
        cwd=altered,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (altered / "SHA256SUMS").write_text(sums)
    try:
        result = run_script("restore.sh", str(altered), "-d", REFUSED_DB)
        assert result.returncode != 0
        assert "differs from the backup's manifest" in result.stderr and "expected" in result.stderr
    finally:
        drop(REFUSED_DB)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_restore_into_a_fresh_cluster(backup, tmp_path_factory):
    """The same backup into a newly created PostgreSQL cluster named by PGHOST/PGPORT."""
    if not (shutil.which("initdb") or Path("/usr/lib/postgresql").is_dir()):
        pytest.skip("no PostgreSQL server binaries to create a cluster")
    cluster = tmp_path_factory.mktemp("cluster")
    port = str(_free_port())
    throwaway = str(ROOT / "scripts" / "drills" / "pg_throwaway.sh")
    started = subprocess.run(
        ["bash", throwaway, "start", str(cluster), port], capture_output=True, text=True, timeout=120, check=False
    )
    assert started.returncode == 0, started.stderr
    user = os.environ.get("HOTLINE_PG_USER", "hotline")
    env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=port, PGUSER=user)
    try:
        result = run_script("restore.sh", str(backup), "-d", CLUSTER_DB, env=env)
        assert result.returncode == 0, result.stderr
        psql_there = ["psql", "-X", "-h", "127.0.0.1", "-p", port, "-U", user, "-d", CLUSTER_DB, "-At", "-c"]
        restored = {
            name: int(subprocess.run([*psql_there, query], capture_output=True, text=True, check=True).stdout)
            for name, query in COUNTED.items()
        }
        assert restored == counts(SOURCE_DB)
    finally:
        subprocess.run(["bash", throwaway, "stop", str(cluster)], timeout=60, check=False)
        shutil.rmtree(filestore(CLUSTER_DB), ignore_errors=True)
        shutil.rmtree(cluster, ignore_errors=True)
