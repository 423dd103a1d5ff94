//! Writing results into a user's folder without ever losing or faking anything.
//!
//! Owns the rules every command that writes follows (see `docs/outputs.md`):
//! - **Staged, then moved.** Files are written into a hidden staging folder inside the output
//!   folder (so on the same filesystem) and renamed into place only once every file is complete.
//!   An interrupted or failed run leaves the earlier results as they were; a killed one leaves at
//!   most a hidden staging folder, which the next run into that folder removes.
//! - **Only what scalesim can prove it wrote.** Each folder keeps a ledger,
//!   `.scalesim-outputs.json`, with the SHA-256 of every file scalesim put there. A file is
//!   replaced or removed only when its bytes still match the ledger; anything else in the way is
//!   refused (exit 2) unless the user passed `--overwrite`. A file streamed into the staging
//!   folder ([`OutputDir::open_stream`], `events.jsonl` and `timeseries.csv`: hundreds of
//!   megabytes on a long run) is hashed as its bytes reach the file, exactly the bytes each
//!   write put there, rather than read back at the commit; the digest is used only while the file's length, modification
//!   time and identity are still what they were when it was closed, so a file written again
//!   by another path (or changed by anyone) is read back and hashed as every other file is.
//! - **Refused early.** A folder that cannot be used (a file, read-only, a name taken by a user's
//!   file) is reported before any simulation starts.
//!
//! Staging folders alive in this process are registered, so an interrupt handler can remove them
//! ([`abandon_all`]) after waiting for any move into place that has already begun.

use crate::error::{Error, InputError, os_reason as reason};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The ledger's file name, in every folder scalesim writes results into.
pub(crate) const LEDGER: &str = ".scalesim-outputs.json";
/// Staging folders are named with this prefix and hold a marker file of this name.
const STAGING_PREFIX: &str = ".scalesim-staging-";
const STAGING_MARKER: &str = ".scalesim-staging";

/// Whether files in the way that scalesim cannot prove it wrote may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Overwrite {
    /// Refuse (the default): only files the ledger vouches for are replaced.
    #[default]
    OnlyOwn,
    /// The user asked (`--overwrite`): replace whatever holds an output's name.
    Any,
}

impl Overwrite {
    /// `--overwrite` given or not.
    pub(crate) fn from_flag(flag: bool) -> Overwrite {
        if flag {
            Overwrite::Any
        } else {
            Overwrite::OnlyOwn
        }
    }
}

/// Staging folders of this process, removed by [`abandon_all`]; the lock is held while files are
/// moved into place, so an interrupt never lands halfway through a commit.
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Remove every staging folder of this process (for an interrupt handler). Waits for a commit in
/// progress to finish first. Returns how many were removed.
pub(crate) fn abandon_all() -> usize {
    let mut live = STAGING.lock().unwrap_or_else(|e| e.into_inner());
    let n = live.len();
    for dir in live.drain(..) {
        let _ = std::fs::remove_dir_all(dir);
    }
    n
}

fn register(dir: &Path) {
    STAGING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(dir.to_path_buf());
}

fn unregister(dir: &Path) {
    STAGING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|d| d != dir);
}

/// What `.scalesim-outputs.json` records: for each file (path relative to the folder, `/`
/// separated) the SHA-256 digests its bytes may have. Normally one; two only during a commit,
/// so that a kill between two renames leaves every file provably scalesim's.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
struct Ledger {
    written_by: String,
    files: BTreeMap<String, Vec<String>>,
}

impl Ledger {
    fn read(dir: &Path) -> Option<Ledger> {
        let text = std::fs::read_to_string(dir.join(LEDGER)).ok()?;
        let ledger: Ledger = serde_json::from_str(&text).ok()?;
        (ledger.written_by == "scalesim").then_some(ledger)
    }

    /// Whether the file `name` in `dir` still holds bytes scalesim wrote.
    fn vouches_for(&self, dir: &Path, name: &str) -> bool {
        let Some(digests) = self.files.get(name) else {
            return false;
        };
        match file_digest(&dir.join(name)) {
            Some(d) => digests.contains(&d),
            None => false,
        }
    }

    fn write(&self, dir: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        let tmp = dir.join(format!("{LEDGER}.tmp"));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, dir.join(LEDGER))
    }
}

/// SHA-256 of a file's bytes, hex; `None` when it cannot be read. Read in blocks, so a
/// `timeseries.csv` of hundreds of megabytes costs no more memory than a small one.
fn file_digest(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(hex(&hasher.finalize()))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// An output folder being written: files go to its staging folder until [`OutputDir::commit`].
/// Dropped without a commit, it removes the staging folder and leaves the folder untouched.
#[derive(Debug)]
pub(crate) struct OutputDir {
    dir: PathBuf,
    staging: PathBuf,
    overwrite: Overwrite,
    previous: Ledger,
    committed: bool,
    /// The folders `open` created (deepest first), removed again if nothing is committed.
    created: Vec<PathBuf>,
    /// The files hashed as they were written, by name (see [`StagedStream`]).
    hashed: Mutex<BTreeMap<String, Hashed>>,
}

/// A staged file's SHA-256 (hex), taken as it was written, and what the file looked like
/// when it was closed: the digest stands only while the file still looks so.
#[derive(Debug)]
struct Hashed {
    digest: String,
    look: FileLook,
}

/// What a file looks like to `stat`: length, modification time and identity.
#[derive(Debug, PartialEq)]
struct FileLook {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    identity: (u64, u64),
}

impl FileLook {
    fn of(meta: &std::fs::Metadata) -> FileLook {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        FileLook {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            identity: (meta.dev(), meta.ino()),
        }
    }
}

/// A file streamed into the staging folder ([`OutputDir::open_stream`]): buffered, and
/// hashed as each write reaches the file (the bytes the file took, no more).
pub(crate) struct StagedStream {
    inner: std::io::BufWriter<HashingFile>,
}

/// A file and the SHA-256 of every byte written to it.
struct HashingFile {
    file: std::fs::File,
    hasher: Sha256,
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Write for StagedStream {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl OutputDir {
    /// Open `dir` for writing (creating it), refusing early what cannot work: `dir` a file, a
    /// folder scalesim cannot write into, or one of `planned` (names relative to `dir`) held by
    /// a file scalesim cannot prove it wrote.
    pub(crate) fn open(
        dir: &Path,
        planned: &[&str],
        overwrite: Overwrite,
    ) -> Result<OutputDir, Error> {
        let created = missing_folders(dir);
        create_folder(dir)?;
        remove_dead_staging(dir);
        let staging = match make_staging(dir) {
            Ok(s) => s,
            Err(e) => {
                remove_if_empty(&created);
                return Err(e);
            }
        };
        let out = OutputDir {
            dir: dir.to_path_buf(),
            staging,
            overwrite,
            previous: Ledger::read(dir).unwrap_or_default(),
            committed: false,
            created,
            hashed: Mutex::new(BTreeMap::new()),
        };
        for name in planned {
            out.check_free(name)?;
        }
        Ok(out)
    }

    /// The final folder.
    pub(crate) fn path(&self) -> &Path {
        &self.dir
    }

    /// The staging folder (tests look inside it before the commit).
    #[cfg(test)]
    fn staging(&self) -> &Path {
        &self.staging
    }

    /// Run a writer that fills a folder (`report::write_run` and the like) on the staging
    /// folder; its errors name the final paths, not the staging folder.
    pub(crate) fn fill(&self, f: impl FnOnce(&Path) -> Result<(), Error>) -> Result<(), Error> {
        f(&self.staging).map_err(|e| match e {
            Error::Io { context, source } => Error::Io {
                context: context.replace(
                    &self.staging.display().to_string(),
                    &self.dir.display().to_string(),
                ),
                source,
            },
            other => other,
        })
    }

    /// Write `name` (relative to the folder) through `f` into the staging folder.
    pub(crate) fn write_with(
        &self,
        name: &str,
        f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        self.forget_digest(name);
        let path = self.staging.join(name);
        let fail = |e| self.write_error(name, e);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        let file = std::fs::File::create(&path).map_err(fail)?;
        let mut w = std::io::BufWriter::new(file);
        f(&mut w)
            .and_then(|_| w.flush())
            .and_then(|_| w.get_ref().sync_all())
            .map_err(fail)
    }

    /// Open `name` (relative to the folder) in the staging folder for writing as the work goes
    /// (a run streams `events.jsonl` into it); finish it with [`OutputDir::close_stream`]. Like
    /// every staged file, it reaches the folder only at the commit.
    pub(crate) fn open_stream(&self, name: &str) -> Result<StagedStream, Error> {
        self.forget_digest(name);
        let path = self.staging.join(name);
        let fail = |e| self.write_error(name, e);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        let file = std::fs::File::create(&path).map_err(fail)?;
        let file = HashingFile {
            file,
            hasher: Sha256::new(),
        };
        Ok(StagedStream {
            inner: std::io::BufWriter::with_capacity(1 << 16, file),
        })
    }

    /// Open `name` (relative to the folder) in the staging folder with `create` (a writer that
    /// takes the file's path), for writing as the work goes; like every staged file, it reaches
    /// the folder only at the commit.
    pub(crate) fn create_with<T>(
        &self,
        name: &str,
        create: impl FnOnce(&Path) -> std::io::Result<T>,
    ) -> Result<T, Error> {
        self.forget_digest(name);
        let path = self.staging.join(name);
        let fail = |e| self.write_error(name, e);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        create(&path).map_err(fail)
    }

    /// Where `name` (relative to the folder) is staged until the commit.
    pub(crate) fn staged_path(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Flush and sync a file opened with [`OutputDir::open_stream`], keeping its digest for
    /// the commit.
    pub(crate) fn close_stream(&self, name: &str, w: StagedStream) -> Result<(), Error> {
        let fail = |e| self.write_error(name, e);
        let HashingFile { file, hasher } =
            w.inner.into_inner().map_err(|e| fail(e.into_error()))?;
        file.sync_all().map_err(fail)?;
        let look = FileLook::of(&file.metadata().map_err(fail)?);
        let digest = hex(&hasher.finalize());
        self.hashed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), Hashed { digest, look });
        Ok(())
    }

    /// Drop the digest kept for `name`, which is being written again.
    fn forget_digest(&self, name: &str) {
        self.hashed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
    }

    /// The SHA-256 of the staged file `name`: the one taken as it was written while the file
    /// still looks as it did then, otherwise read back.
    fn staged_digest(&self, name: &str) -> Option<String> {
        let path = self.staging.join(name);
        let hashed = self.hashed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = hashed.get(name)
            && let Ok(meta) = std::fs::symlink_metadata(&path)
            && FileLook::of(&meta) == h.look
        {
            return Some(h.digest.clone());
        }
        drop(hashed);
        file_digest(&path)
    }

    /// Write `bytes` as `name` into the staging folder.
    pub(crate) fn write_bytes(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        self.write_with(name, |w| w.write_all(bytes))
    }

    /// The error for a failed write of `name`, naming the final path and the system's reason.
    pub(crate) fn write_error(&self, name: &str, e: std::io::Error) -> Error {
        Error::io(format!("cannot write {}", self.dir.join(name).display()), e)
    }

    /// Refuse `name` when a file scalesim cannot vouch for holds it (unless `--overwrite`).
    fn check_free(&self, name: &str) -> Result<(), Error> {
        let target = self.dir.join(name);
        let Ok(meta) = std::fs::symlink_metadata(&target) else {
            return Ok(());
        };
        if meta.is_dir() {
            return Err(refusal(&target, "is a folder where scalesim writes a file"));
        }
        if self.overwrite == Overwrite::Any || self.previous.vouches_for(&self.dir, name) {
            return Ok(());
        }
        let why = if self.previous.files.contains_key(name) {
            "was changed since scalesim wrote it"
        } else {
            "holds a file scalesim did not write"
        };
        Err(refusal(&target, why))
    }

    /// Move every staged file into place, record them in the ledger, and remove the files of an
    /// earlier run that this one did not write again (only those the ledger vouches for).
    /// Returns the names removed.
    pub(crate) fn commit(mut self) -> Result<Vec<String>, Error> {
        let staged = staged_files(&self.staging)
            .map_err(|e| Error::io(format!("cannot read {}", self.staging.display()), e))?;
        for name in &staged {
            self.check_free(name)?;
        }
        let mut digests = BTreeMap::new();
        for name in &staged {
            let d = self
                .staged_digest(name)
                .ok_or_else(|| self.write_error(name, std::io::Error::other("staged file lost")))?;
            digests.insert(name.clone(), d);
        }
        let _guard = STAGING.lock().unwrap_or_else(|e| e.into_inner());
        let removed = self.move_into_place(&staged, &digests)?;
        self.committed = true;
        let _ = std::fs::remove_dir_all(&self.staging);
        drop(_guard);
        unregister(&self.staging);
        Ok(removed)
    }

    /// The commit proper (the caller holds the staging lock).
    fn move_into_place(
        &self,
        staged: &[String],
        digests: &BTreeMap<String, String>,
    ) -> Result<Vec<String>, Error> {
        let ledger_err = |e| self.write_error(LEDGER, e);
        // During the moves either bytes are vouched for.
        let mut transition = self.previous.clone();
        transition.written_by = "scalesim".into();
        for (name, d) in digests {
            transition
                .files
                .entry(name.clone())
                .or_default()
                .push(d.clone());
        }
        transition.write(&self.dir).map_err(ledger_err)?;
        for name in staged {
            let to = self.dir.join(name);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| self.write_error(name, e))?;
            }
            std::fs::rename(self.staging.join(name), &to).map_err(|e| self.write_error(name, e))?;
        }
        let removed = self.remove_stale(digests);
        let final_ledger = Ledger {
            written_by: "scalesim".into(),
            files: digests
                .iter()
                .map(|(n, d)| (n.clone(), vec![d.clone()]))
                .collect(),
        };
        final_ledger.write(&self.dir).map_err(ledger_err)?;
        Ok(removed)
    }

    /// Remove what the earlier run wrote and this one did not, when its bytes are still
    /// scalesim's; then any folder that left empty.
    fn remove_stale(&self, written: &BTreeMap<String, String>) -> Vec<String> {
        let mut removed = Vec::new();
        for name in self.previous.files.keys() {
            if written.contains_key(name) || !self.previous.vouches_for(&self.dir, name) {
                continue;
            }
            if std::fs::remove_file(self.dir.join(name)).is_ok() {
                removed.push(name.clone());
                remove_empty_parents(&self.dir, name);
            }
        }
        removed
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
            unregister(&self.staging);
            remove_if_empty(&self.created);
        }
    }
}

/// Write one file that is not part of a result folder (a JUnit report, a generated trace, a
/// plot): to a hidden temporary file beside it, then renamed over it. An existing file is
/// replaced only with `--overwrite` or when `is_own` recognises its bytes as scalesim's.
pub(crate) fn write_single(
    path: &Path,
    bytes: &[u8],
    overwrite: Overwrite,
    is_own: impl Fn(&[u8]) -> bool,
) -> Result<(), Error> {
    check_single(path, overwrite, is_own)?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let fail = |e| Error::io(format!("cannot write {}", path.display()), e);
    let mut tmp = tempfile::Builder::new()
        .prefix(".scalesim-tmp-")
        .tempfile_in(&parent)
        .map_err(fail)?;
    let tmp_path = tmp.path().to_path_buf();
    register(&tmp_path);
    let result = tmp
        .write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(fail)
        .and_then(|_| {
            let _guard = STAGING.lock().unwrap_or_else(|e| e.into_inner());
            tmp.persist(path).map(|_| ()).map_err(|e| fail(e.error))
        });
    unregister(&tmp_path);
    result
}

/// Refuse, before any work, a single-file output that cannot be written: a folder in its place,
/// a missing parent folder, or a file scalesim cannot recognise as its own (unless `--overwrite`).
pub(crate) fn check_single(
    path: &Path,
    overwrite: Overwrite,
    is_own: impl Fn(&[u8]) -> bool,
) -> Result<(), Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(refusal(parent, "is not an existing folder"));
    }
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if meta.is_dir() {
        return Err(refusal(path, "is a folder, not a file"));
    }
    if overwrite == Overwrite::Any {
        return Ok(());
    }
    let own = std::fs::read(path).map(|b| is_own(&b)).unwrap_or(false);
    if own {
        Ok(())
    } else {
        Err(refusal(path, "holds a file scalesim did not write"))
    }
}

/// The exit-2 error for an output path in the way.
fn refusal(path: &Path, why: &str) -> Error {
    InputError::in_file(
        path,
        format!(
            "{why}; scalesim replaces only files it can prove it wrote — move it away, choose \
             another output, or pass --overwrite"
        ),
    )
    .into()
}

/// Create the output folder, refusing a path that is a file or cannot be created.
fn create_folder(dir: &Path) -> Result<(), Error> {
    if let Ok(meta) = std::fs::metadata(dir)
        && !meta.is_dir()
    {
        return Err(InputError::in_file(dir, "the output folder is a file, not a folder").into());
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        InputError::in_file(
            dir,
            format!("cannot create the output folder: {}", reason(&e)),
        )
        .into()
    })
}

/// Make this run's staging folder inside `dir` (the proof that `dir` is writable).
fn make_staging(dir: &Path) -> Result<PathBuf, Error> {
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(dir)
        .map_err(|e| {
            InputError::in_file(
                dir,
                format!("cannot write into the output folder: {}", reason(&e)),
            )
        })?
        .keep();
    register(&staging);
    if let Err(e) = std::fs::write(staging.join(STAGING_MARKER), b"") {
        let _ = std::fs::remove_dir_all(&staging);
        unregister(&staging);
        return Err(InputError::in_file(
            dir,
            format!("cannot write into the output folder: {}", reason(&e)),
        )
        .into());
    }
    Ok(staging)
}

/// Remove staging folders a killed run left in `dir` (named so and holding the marker). A
/// staging folder of a run still going in another process is removed too: two runs into one
/// folder at once cannot both win, and the later one's results are the ones kept.
fn remove_dead_staging(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let is_staging = name.to_string_lossy().starts_with(STAGING_PREFIX)
            && e.path().join(STAGING_MARKER).is_file();
        if is_staging {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Every file under `staging` (relative, `/`-separated, sorted), the marker excepted.
fn staged_files(staging: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for e in std::fs::read_dir(staging.join(&rel))? {
            let e = e?;
            let rel_child = rel.join(e.file_name());
            if e.file_type()?.is_dir() {
                stack.push(rel_child);
            } else if rel_child.as_os_str() != STAGING_MARKER {
                out.push(rel_child.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `dir` and those of its ancestors that do not exist yet, deepest first.
fn missing_folders(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .take_while(|p| std::fs::symlink_metadata(p).is_err())
        .map(Path::to_path_buf)
        .collect()
}

/// Remove these folders (deepest first) while they are empty.
fn remove_if_empty(folders: &[PathBuf]) {
    for f in folders {
        if std::fs::remove_dir(f).is_err() {
            break;
        }
    }
}

fn remove_empty_parents(dir: &Path, name: &str) {
    let mut p = Path::new(name).parent();
    while let Some(rel) = p.filter(|r| !r.as_os_str().is_empty()) {
        if std::fs::remove_dir(dir.join(rel)).is_err() {
            break;
        }
        p = rel.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path, planned: &[&str]) -> Result<OutputDir, Error> {
        OutputDir::open(dir, planned, Overwrite::OnlyOwn)
    }

    #[test]
    fn a_commit_moves_files_and_leaves_no_staging() {
        let t = tempfile::tempdir().unwrap();
        let out = open(t.path(), &["a.csv"]).unwrap();
        out.write_bytes("a.csv", b"1\n").unwrap();
        out.write_bytes("sub/b.txt", b"2\n").unwrap();
        assert!(
            !t.path().join("a.csv").exists(),
            "nothing visible before the commit"
        );
        out.commit().unwrap();
        assert_eq!(std::fs::read(t.path().join("a.csv")).unwrap(), b"1\n");
        assert_eq!(std::fs::read(t.path().join("sub/b.txt")).unwrap(), b"2\n");
        let names: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with(STAGING_PREFIX)),
            "{names:?}"
        );
    }

    #[test]
    fn a_users_file_is_refused_and_kept() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("chart.png"), b"mine").unwrap();
        let e = open(t.path(), &["chart.png"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("did not write"), "{e}");
        assert_eq!(std::fs::read(t.path().join("chart.png")).unwrap(), b"mine");
        // With --overwrite it is replaced.
        let out = OutputDir::open(t.path(), &["chart.png"], Overwrite::Any).unwrap();
        out.write_bytes("chart.png", b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read(t.path().join("chart.png")).unwrap(), b"new");
    }

    #[test]
    fn own_files_are_replaced_and_stale_own_files_removed() {
        let t = tempfile::tempdir().unwrap();
        let out = open(t.path(), &[]).unwrap();
        out.write_bytes("a", b"1").unwrap();
        out.write_bytes("chart.png", b"p").unwrap();
        out.commit().unwrap();
        let out = open(t.path(), &["a"]).unwrap();
        out.write_bytes("a", b"2").unwrap();
        let removed = out.commit().unwrap();
        assert_eq!(removed, vec!["chart.png".to_string()]);
        assert!(!t.path().join("chart.png").exists());
        assert_eq!(std::fs::read(t.path().join("a")).unwrap(), b"2");
    }

    #[test]
    fn an_own_file_the_user_changed_is_neither_replaced_nor_removed() {
        let t = tempfile::tempdir().unwrap();
        let out = open(t.path(), &[]).unwrap();
        out.write_bytes("a", b"1").unwrap();
        out.write_bytes("b", b"1").unwrap();
        out.commit().unwrap();
        std::fs::write(t.path().join("a"), b"edited").unwrap();
        std::fs::write(t.path().join("b"), b"edited").unwrap();
        let e = open(t.path(), &["a"]).unwrap_err();
        assert!(e.to_string().contains("changed since"), "{e}");
        let out = open(t.path(), &[]).unwrap();
        out.write_bytes("c", b"1").unwrap();
        assert!(out.commit().unwrap().is_empty());
        assert_eq!(std::fs::read(t.path().join("b")).unwrap(), b"edited");
    }

    #[test]
    fn a_dropped_output_leaves_the_earlier_result() {
        let t = tempfile::tempdir().unwrap();
        let out = open(t.path(), &[]).unwrap();
        out.write_bytes("a", b"1").unwrap();
        out.commit().unwrap();
        {
            let out = open(t.path(), &["a"]).unwrap();
            out.write_bytes("a", b"partial").unwrap();
        }
        assert_eq!(std::fs::read(t.path().join("a")).unwrap(), b"1");
        let n = std::fs::read_dir(t.path()).unwrap().count();
        assert_eq!(n, 2, "a and the ledger only");
    }

    #[test]
    fn a_folder_opened_for_nothing_is_removed_again() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("a/b");
        drop(open(&dir, &[]).unwrap());
        assert!(!t.path().join("a").exists());
    }

    #[test]
    fn a_file_as_folder_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        let e = open(&f, &[]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("is a file"), "{e}");
    }

    #[test]
    fn a_killed_runs_staging_is_cleared_by_the_next() {
        let t = tempfile::tempdir().unwrap();
        let out = open(t.path(), &[]).unwrap();
        let staging = out.staging().to_path_buf();
        std::mem::forget(out);
        assert!(staging.is_dir());
        let _next = open(t.path(), &[]).unwrap();
        assert!(!staging.exists());
    }

    /// The SHA-256 of a folder's file as the ledger records it.
    fn ledger_digest(dir: &Path, name: &str) -> String {
        let ledger = Ledger::read(dir).expect("a ledger");
        let digests = &ledger.files[name];
        assert_eq!(digests.len(), 1, "{digests:?}");
        digests[0].clone()
    }

    /// A streamed file's digest, taken as it was written, is the digest of its bytes.
    #[test]
    fn a_streamed_file_is_recorded_with_the_digest_of_its_bytes() {
        let t = tempfile::tempdir().unwrap();
        let out = open(t.path(), &[]).unwrap();
        let mut w = out.open_stream("events.jsonl").unwrap();
        let mut expected = Vec::new();
        for i in 0..20_000 {
            let line = format!("{{\"i\":{i}}}\n").repeat(i % 7);
            w.write_all(line.as_bytes()).unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        out.close_stream("events.jsonl", w).unwrap();
        out.write_bytes("summary.json", b"{}").unwrap();
        out.commit().unwrap();
        let on_disk = std::fs::read(t.path().join("events.jsonl")).unwrap();
        assert_eq!(on_disk, expected);
        let d = ledger_digest(t.path(), "events.jsonl");
        assert_eq!(d, hex(&Sha256::digest(&on_disk)));
        assert_eq!(Some(d), file_digest(&t.path().join("events.jsonl")));
        // And the next run vouches for it.
        let out = open(t.path(), &["events.jsonl"]).unwrap();
        out.commit().unwrap();
        assert!(!t.path().join("events.jsonl").exists(), "removed as stale");
    }

    /// A streamed file written again by another path, or changed in the staging folder, is
    /// read back at the commit.
    #[test]
    fn a_streamed_file_changed_after_it_was_closed_is_read_back() {
        let t = tempfile::tempdir().unwrap();
        let out = open(t.path(), &[]).unwrap();
        let mut w = out.open_stream("a").unwrap();
        w.write_all(b"streamed").unwrap();
        out.close_stream("a", w).unwrap();
        out.write_bytes("a", b"rewrite!").unwrap();
        let mut w = out.open_stream("b").unwrap();
        w.write_all(b"streamed").unwrap();
        out.close_stream("b", w).unwrap();
        std::fs::write(out.staging().join("b"), b"changed, longer").unwrap();
        out.commit().unwrap();
        for (name, bytes) in [("a", &b"rewrite!"[..]), ("b", b"changed, longer")] {
            assert_eq!(std::fs::read(t.path().join(name)).unwrap(), bytes);
            assert_eq!(
                ledger_digest(t.path(), name),
                hex(&Sha256::digest(bytes)),
                "{name}"
            );
        }
    }

    #[test]
    fn single_files_refuse_what_is_not_theirs() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("x.csv");
        std::fs::write(&p, b"user").unwrap();
        let own = |b: &[u8]| b.starts_with(b"scalesim");
        assert!(write_single(&p, b"scalesim 1", Overwrite::OnlyOwn, own).is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"user");
        write_single(&p, b"scalesim 1", Overwrite::Any, own).unwrap();
        write_single(&p, b"scalesim 2", Overwrite::OnlyOwn, own).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"scalesim 2");
    }
}
