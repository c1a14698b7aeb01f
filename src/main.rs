//! The `hanzi-synth` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use clap::{ArgGroup, Args, Parser, Subcommand};

use hanzi_synth::bench::run_bench;
use hanzi_synth::corpus::{self, derive_top_words, parse_tsv};
use hanzi_synth::fonts::FontSet;
use hanzi_synth::generate::{run, Outcome, RunOptions, ShardSpec};
use hanzi_synth::paint::{Device, DeviceChoice};
use hanzi_synth::preview::contact_sheet;
use hanzi_synth::recipe::{Recipe, DEFAULT_RECIPE_YAML};
use hanzi_synth::scene::Context;
use hanzi_synth::verify::{verify_mode, Mode};

#[derive(Parser)]
#[command(
    name = "hanzi-synth",
    version = hanzi_synth::VERSION,
    about = "Synthetic image–caption data for teaching image models to write Chinese"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct RecipeArgs {
    /// Recipe YAML (default: the bundled defaults, see `recipe init`).
    #[arg(short, long)]
    recipe: Option<PathBuf>,
    /// Override a recipe value: --set text.size=[40,60] (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Override the recipe's seed.
    #[arg(long)]
    seed: Option<u64>,
}

impl RecipeArgs {
    fn load(&self) -> Result<Recipe> {
        let base = match &self.recipe {
            Some(p) => Recipe::load(p)?,
            None => Recipe::from_yaml(DEFAULT_RECIPE_YAML, "default recipe")?,
        };
        let mut r = base.with_overrides(&self.sets)?;
        if let Some(s) = self.seed {
            r.seed = s;
        }
        Ok(r)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Generate a dataset.
    Generate {
        #[command(flatten)]
        recipe: RecipeArgs,
        /// Number of samples (overrides the recipe's `count`).
        #[arg(short = 'n', long, value_parser = at_least_one)]
        count: Option<u64>,
        /// Output folder; `-` writes one WebDataset tar stream to stdout instead (nothing on disk).
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(short = 'j', long, value_parser = thread_count)]
        threads: Option<usize>,
        /// Make only output shards j with j % N == k (for N machines): --shard k/N.
        #[arg(long)]
        shard: Option<ShardSpec>,
        /// Replace what hanzi-synth wrote in a non-empty output folder.
        #[arg(long, conflicts_with = "resume")]
        overwrite: bool,
        /// Finish an interrupted run in the output folder (same recipe and options): completed
        /// shards are kept, the rest is made; the result is byte-identical to an uninterrupted run.
        #[arg(long)]
        resume: bool,
        /// Painter: cpu (the reference), gpu (wgpu/Vulkan; needs a build with `--features
        /// gpu`), or auto (gpu when available, else cpu with a note).
        #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
        device: DeviceChoice,
        /// No progress bar or summary.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Render a contact sheet PNG of samples with their line and character outlines.
    Preview {
        #[command(flatten)]
        recipe: RecipeArgs,
        /// Number of samples on the sheet.
        #[arg(short = 'n', long, default_value_t = 16, value_parser = at_least_one)]
        count: u64,
        /// First sample index.
        #[arg(long, default_value_t = 0)]
        start: u64,
        /// Tiles per row.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
        columns: u32,
        /// Longer side of a tile in pixels (tiles keep the canvas's aspect ratio).
        #[arg(long, default_value_t = 320, value_parser = clap::value_parser!(u32).range(32..=2048))]
        tile: u32,
        /// Leave out the line and character outlines (see the pictures as a model will).
        #[arg(long)]
        no_boxes: bool,
        /// The PNG file to write.
        #[arg(short, long, default_value = "preview.png")]
        out: PathBuf,
        /// Painter: cpu (the reference), gpu (wgpu/Vulkan; needs a build with `--features
        /// gpu`), or auto (gpu when available, else cpu with a note).
        #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
        device: DeviceChoice,
    },
    /// Check an output folder: shard checksums against the manifest, and every record's image
    /// against its labels. Exits non-zero on any problem.
    Verify {
        /// The output folder.
        dir: PathBuf,
        /// For huge sets: every shard's size, checksum and record count, but only a seeded
        /// random sample of records re-checked (--records, --seed).
        #[arg(long)]
        fast: bool,
        /// With --fast: how many records to re-check [default: 1000].
        #[arg(long, requires = "fast", value_parser = at_least_one)]
        records: Option<u64>,
        /// With --fast: the seed that picks the records [default: 0].
        #[arg(long, requires = "fast")]
        seed: Option<u64>,
    },
    /// Join the output of `generate --shard k/N` tasks in a folder into one run: writes the
    /// manifest.json a single machine writes (same bytes) and removes the shard manifests.
    /// Refuses incomplete or mixed shard sets and unfinished tasks.
    Merge {
        /// The output folder the tasks wrote into.
        dir: PathBuf,
    },
    /// Audit an output folder: counts and distributions read back from every record (JSON and
    /// a PNG chart page), corpus word coverage, and the integrity checks of `verify`. Exits
    /// non-zero if integrity fails.
    Stats {
        /// The output folder.
        dir: PathBuf,
        /// Writes OUT.json and OUT.png (creating OUT's folder if needed).
        #[arg(short, long, default_value = "stats")]
        out: PathBuf,
    },
    /// Print or check recipes.
    Recipe {
        #[command(subcommand)]
        action: RecipeAction,
    },
    /// List usable fonts: style, weight, coverage of the corpus characters and of each level
    /// of the 2013 standard list (3,500 / 3,000 / 1,605 characters).
    Fonts {
        #[command(flatten)]
        recipe: RecipeArgs,
        /// Every bundled face, whatever the recipe's fonts settings (fonts.bundled_set: all,
        /// no fonts.styles filter, no min_coverage).
        #[arg(long)]
        all_bundled: bool,
    },
    /// Build or inspect word lists.
    Corpus {
        #[command(subcommand)]
        action: CorpusAction,
    },
    /// Train the bundled diffusion model on a recipe's samples (or a written dataset).
    #[cfg(feature = "train")]
    Train(hanzi_synth::train::cli::TrainArgs),
    /// Draw pictures of prompts with a trained model.
    #[cfg(feature = "train")]
    Sample(hanzi_synth::train::cli::SampleArgs),
    /// Judge a trained model: sample every prompt, read the pictures, report accuracy.
    #[cfg(feature = "train")]
    Eval(hanzi_synth::train::cli::EvalArgs),
    /// Compare two recipes: train both with the same budget and seeds, evaluate, report the
    /// differences and whether they exceed seed noise.
    #[cfg(feature = "train")]
    Ab(hanzi_synth::train::cli::AbArgs),
    /// Measure images per second and time per stage for a recipe.
    Bench {
        #[command(flatten)]
        recipe: RecipeArgs,
        /// Number of samples to time.
        #[arg(short = 'n', long, default_value_t = 200, value_parser = at_least_one)]
        count: u64,
        /// Threads for the all-threads pass (default: all cores).
        #[arg(short = 'j', long, value_parser = thread_count)]
        threads: Option<usize>,
        /// Painter: cpu (the reference), gpu (wgpu/Vulkan; needs a build with `--features
        /// gpu`), or auto (gpu when available, else cpu with a note).
        #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
        device: DeviceChoice,
    },
}

#[derive(Subcommand)]
enum RecipeAction {
    /// Print the full default recipe with comments.
    Init,
    /// Validate a recipe file (with --set overrides): its values, the files and folders it
    /// names, and that its text fits the canvas; print the hash `generate` will record.
    Check {
        /// The recipe YAML file.
        file: PathBuf,
        /// Override a recipe value: --set text.size=[40,60] (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Number of samples, as given to `generate -n` (it is part of the hash).
        #[arg(short = 'n', long, value_parser = at_least_one)]
        count: Option<u64>,
        /// Seed, as given to `generate --seed` (it is part of the hash).
        #[arg(long)]
        seed: Option<u64>,
    },
}

#[derive(Subcommand)]
enum CorpusAction {
    /// Build a `word<TAB>freq` list from jieba's dictionary (--dict) or from text files (--text).
    #[command(group(ArgGroup::new("input").required(true).args(["dict", "text"])))]
    Build {
        /// A jieba-format dictionary (`word freq [tag]` lines), e.g. corpora/jieba-dict.txt.
        #[arg(long, conflicts_with = "text")]
        dict: Option<PathBuf>,
        /// UTF-8 text files to segment with jieba and count.
        #[arg(long, num_args = 1..)]
        text: Vec<PathBuf>,
        /// Keep the N most frequent words (0 = all).
        #[arg(long, default_value_t = 50_000)]
        top: usize,
        /// With --text: keep CJK and ASCII punctuation tokens (，。《》 …) as words.
        #[arg(long, requires = "text")]
        keep_punctuation: bool,
        /// The word list to write (`word<TAB>freq` lines, most frequent first).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Summarise a word list (default: the bundled one).
    Stats {
        /// A `word<TAB>freq` file (default: the bundled top-50k list).
        file: Option<PathBuf>,
    },
    /// Derive the 2013 standard list (corpora/tgh-2013.tsv: char, number, level) from Unihan's
    /// kTGH field: `bzcat /usr/share/unicode/Unihan_OtherMappings.txt.bz2 | hanzi-synth corpus
    /// tgh --unihan - -o corpora/tgh-2013.tsv`.
    Tgh {
        /// Unihan text holding the kTGH lines (`-` = standard input).
        #[arg(long)]
        unihan: PathBuf,
        /// The list to write.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Derive the tail list (corpora/tail-words.tsv): clean jieba words beyond the top list
    /// that carry the standard characters the top list lacks, and single characters where no
    /// word has one.
    Tail {
        /// jieba's dictionary, e.g. corpora/jieba-dict.txt.
        #[arg(long)]
        dict: PathBuf,
        /// The top list the tail extends, e.g. corpora/top50k.tsv.
        #[arg(long)]
        top: PathBuf,
        /// The list to write (`word<TAB>freq` lines, most frequent first).
        #[arg(short, long)]
        out: PathBuf,
    },
}

/// How a command ended, when it did not fail.
enum Flow {
    Done,
    /// Stopped by this signal; the exit code is 128 + signal, as a shell reports it.
    Interrupted(i32),
}

/// Opens the painter `--device` asks for: a usage error (exit code 2) saying what to install or
/// rebuild when it cannot; `auto` falls back to the CPU with a one-line note.
fn open_device(choice: DeviceChoice) -> Device {
    if choice != DeviceChoice::Cpu && std::env::var_os("NODEVICE_SELECT").is_none() {
        // Mesa's device-select Vulkan layer probes the display server and prints "error:
        // XDG_RUNTIME_DIR is invalid" on a headless machine; the adapter is chosen by wgpu.
        // Still one thread here, so changing the environment is sound.
        std::env::set_var("NODEVICE_SELECT", "1");
    }
    match Device::open(choice) {
        Ok((device, note)) => {
            if let Some(note) = note {
                eprintln!("{note}");
            }
            device
        }
        Err(why) => {
            use clap::CommandFactory;
            Cli::command()
                .error(
                    clap::error::ErrorKind::InvalidValue,
                    format!("--device gpu: {why}"),
                )
                .exit()
        }
    }
}

fn main() -> ExitCode {
    // A file-size limit (ulimit -f) must surface as a write error naming the file, not kill us.
    #[cfg(unix)]
    // SAFETY: setting a signal to "ignore" at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let cli = Cli::parse();
    // A report piped into a reader that stops early (`eval RUN | head -1`) ends quietly, as
    // other Unix tools do, not with a panic on the failed print (Rust ignores SIGPIPE).
    // `generate` keeps it ignored: its stream says which side closed, and its shards stay whole.
    #[cfg(unix)]
    if !matches!(cli.command, Command::Generate { .. }) {
        // SAFETY: as above; still no other thread.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match dispatch(cli.command) {
        Ok(Flow::Done) => ExitCode::SUCCESS,
        Ok(Flow::Interrupted(signal)) => ExitCode::from((128 + signal).clamp(1, 255) as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// SIGINT/SIGTERM set a flag (to the signal number) that the run checks between samples; a
/// second Ctrl-C while stopping ends the process at once.
fn stop_on_signals() -> Result<Arc<AtomicUsize>> {
    let stop = Arc::new(AtomicUsize::new(0));
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let again = Arc::new(std::sync::atomic::AtomicBool::new(false));
        for sig in [SIGINT, SIGTERM] {
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, again.clone())
                .context("cannot install signal handlers")?;
            signal_hook::flag::register(sig, again.clone())
                .context("cannot install signal handlers")?;
            signal_hook::flag::register_usize(sig, stop.clone(), sig as usize)
                .context("cannot install signal handlers")?;
        }
    }
    Ok(stop)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `-j`: all cores by default; more than four threads per core only costs memory and switching,
/// so such a request is capped with a warning.
fn threads_to_use(requested: Option<usize>) -> usize {
    let cores = cores();
    match requested {
        None => cores,
        Some(n) if n > 4 * cores => {
            eprintln!(
                "warning: -j {n} is more than 4 threads per core on this machine ({cores} cores); \
                 using {}",
                4 * cores
            );
            4 * cores
        }
        Some(n) => n,
    }
}

/// Value parser for counts that must be at least 1 (a usage error, exit code 2, otherwise).
fn at_least_one(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

/// Value parser for `-j`: 1 or more threads.
fn thread_count(s: &str) -> Result<usize, String> {
    at_least_one(s).map(|n| n.min(usize::MAX as u64) as usize)
}

/// A recipe enum value as the recipe spells it (`webdataset`, `jpg`), not its Rust name.
fn recipe_word<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".into(),
    }
}

/// A trainer command stopped by Ctrl-C (after saving) exits as SIGINT would.
#[cfg(feature = "train")]
fn interrupted_if(stopped: bool) -> Flow {
    if stopped {
        Flow::Interrupted(2)
    } else {
        Flow::Done
    }
}

fn dispatch(command: Command) -> Result<Flow> {
    match command {
        #[cfg(feature = "train")]
        Command::Train(args) => Ok(interrupted_if(hanzi_synth::train::cli::run_train(&args)?)),
        #[cfg(feature = "train")]
        Command::Sample(args) => hanzi_synth::train::cli::run_sample(&args).map(|_| Flow::Done),
        #[cfg(feature = "train")]
        Command::Eval(args) => hanzi_synth::train::cli::run_eval(&args).map(|_| Flow::Done),
        #[cfg(feature = "train")]
        Command::Ab(args) => Ok(interrupted_if(hanzi_synth::train::cli::run_ab_command(
            &args,
        )?)),
        Command::Generate {
            recipe,
            count,
            out,
            threads,
            shard,
            overwrite,
            resume,
            quiet,
            device,
        } => {
            let repeated = recipe.recipe.is_some()
                || !recipe.sets.is_empty()
                || recipe.seed.is_some()
                || count.is_some();
            let from_journal = if resume && !repeated {
                hanzi_synth::generate::journal_recipe(&out, shard)?
            } else {
                None
            };
            let mut r = match from_journal {
                Some(r) => {
                    if !quiet {
                        eprintln!(
                            "resuming {} with the recipe, seed and count its journal holds",
                            out.display()
                        );
                    }
                    r
                }
                None => recipe.load()?,
            };
            if let Some(n) = count {
                r.count = n;
                r.check().context("-n")?;
            }
            let streams = out.as_os_str() == "-";
            if streams {
                let conflict = if resume || overwrite {
                    Some("-o - writes to stdout: there is nothing to --resume or --overwrite")
                } else if r.output.format != hanzi_synth::recipe::OutputFormat::Webdataset {
                    Some(
                        "-o - streams WebDataset tar; the recipe's output.format is not \
                     webdataset (add --set output.format=webdataset, or write to a folder)",
                    )
                } else {
                    None
                };
                if let Some(why) = conflict {
                    use clap::CommandFactory;
                    Cli::command()
                        .error(clap::error::ErrorKind::ArgumentConflict, why)
                        .exit();
                }
            }
            let device = open_device(device);
            let t = Instant::now();
            let ctx = Context::new(r)?;
            if let Some(w) = ctx.backgrounds.reuse_warning(ctx.recipe.count) {
                eprintln!("warning: {w}");
            }
            let threads = threads_to_use(threads);
            let opts = RunOptions {
                out: out.clone(),
                threads,
                shard,
                progress: !quiet,
                overwrite,
                resume,
                stop: stop_on_signals()?,
                device,
            };
            let m = match run(&ctx, &opts)? {
                Outcome::Complete(m) => m,
                Outcome::AlreadyComplete => {
                    eprintln!("{} is already complete; nothing to do", out.display());
                    return Ok(Flow::Done);
                }
                Outcome::Interrupted {
                    signal,
                    shards_done,
                    shards_total,
                    samples_done,
                } => {
                    eprintln!(
                        "interrupted by signal {signal}: {shards_done} of {shards_total} shard(s) \
                         complete ({samples_done} samples) in {}; the unfinished shard was \
                         discarded. Run the same command with --resume to finish.",
                        out.display()
                    );
                    return Ok(Flow::Interrupted(signal));
                }
            };
            if !quiet {
                let secs = t.elapsed().as_secs_f64();
                eprintln!(
                    "wrote {} samples to {} in {:.1} s ({:.1} images/s, {} threads)",
                    m.samples,
                    if streams {
                        "stdout (one tar stream)".to_string()
                    } else {
                        out.display().to_string()
                    },
                    secs,
                    m.samples as f64 / secs,
                    threads
                );
                if m.records != m.samples {
                    eprintln!("  records       {} (line crops)", m.records);
                }
                eprintln!(
                    "  format        {}, {} shard(s), recipe {}",
                    recipe_word(&m.format),
                    m.shards.len(),
                    m.recipe_hash
                );
                eprintln!("  fonts         {}", summary(&m.fonts));
                eprintln!("  backgrounds   {}", summary(&m.backgrounds));
                eprintln!("  directions    {}", summary(&m.directions));
                eprintln!(
                    "  characters    {} distinct drawn (digits and Latin letters included); the \
                     corpus has {} distinct characters",
                    m.characters_covered, m.corpus_characters
                );
                eprintln!(
                    "  resampled     {} text draw(s); {} sample(s) below the contrast target",
                    m.text_resamples, m.contrast_unmet
                );
                if !m.contrast_fallbacks.is_empty() {
                    eprintln!(
                        "  contrast      block(s) made legible or left out: {}",
                        summary(&m.contrast_fallbacks)
                    );
                }
                eprintln!(
                    "  blocks        {} drawn, {} left out for lack of a free spot; {} curved line(s)",
                    m.blocks, m.blocks_dropped, m.curved_lines
                );
                eprintln!("  effects       {}", summary(&m.effects));
                if let Some(c) = &m.charset {
                    let shown: String = c.chars_outside.chars().take(20).collect();
                    eprintln!(
                        "  charset       {} ({} characters): {} corpus word(s) left out, {} corpus \
                         character(s) outside it{}",
                        c.file,
                        c.size,
                        c.words_dropped,
                        c.chars_outside.chars().count(),
                        if shown.is_empty() { String::new() } else { format!(", most frequent: {shown}") }
                    );
                }
                if let Some(x) = &m.exclude {
                    eprintln!(
                        "  exclude       {} ({} entries): {} corpus word(s) removed",
                        if x.file == "default" {
                            "corpora/exclude-default.txt"
                        } else {
                            &x.file
                        },
                        x.entries,
                        x.words_removed
                    );
                }
                let skips = m.fonts_skipped.len()
                    + m.backgrounds_skipped.len()
                    + m.corpus_lines_skipped
                    + m.words_without_font;
                if skips > 0 || !m.fonts_inkless_chars.is_empty() {
                    eprintln!(
                        "  skipped       {} font face(s), {} background file(s), {} corpus \
                         line(s){}, {} word(s) no font draws, {} face(s) with inkless \
                         glyphs (see the manifest)",
                        m.fonts_skipped.len(),
                        m.backgrounds_skipped.len(),
                        m.corpus_lines_skipped,
                        corpus_skip_reasons(&m.corpus_lines_skipped_by_reason),
                        m.words_without_font,
                        m.fonts_inkless_chars.len()
                    );
                    const SHOWN: usize = 3;
                    for (what, why) in m
                        .fonts_skipped
                        .iter()
                        .chain(&m.backgrounds_skipped)
                        .take(SHOWN)
                    {
                        eprintln!("                skipped {what}: {why}");
                    }
                    let more =
                        (m.fonts_skipped.len() + m.backgrounds_skipped.len()).saturating_sub(SHOWN);
                    if more > 0 {
                        eprintln!(
                            "                … and {more} more skipped file(s) in the manifest"
                        );
                    }
                }
                if streams {
                    eprintln!("  manifest      none (a stream writes nothing to disk)");
                } else {
                    eprintln!(
                        "  manifest      {}",
                        out.join(hanzi_synth::generate::Manifest::file_name(shard))
                            .display()
                    );
                }
            }
            Ok(Flow::Done)
        }
        Command::Preview {
            recipe,
            count,
            start,
            columns,
            tile,
            no_boxes,
            out,
            device,
        } => {
            let device = open_device(device);
            let ctx = Context::new(recipe.load()?)?;
            let sheet = contact_sheet(
                &ctx,
                start,
                count,
                columns.min(count as u32),
                tile,
                !no_boxes,
                &device,
            )?;
            sheet
                .save_png(&out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "wrote {} ({} samples from index {start})",
                out.display(),
                count
            );
            Ok(Flow::Done)
        }
        Command::Stats { dir, out } => {
            let (report, counts) = hanzi_synth::stats::dataset_stats(&dir)?;
            let json = out.with_extension("json");
            let png = out.with_extension("png");
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create folder {}", parent.display()))?;
            }
            std::fs::write(&json, serde_json::to_string_pretty(&report)? + "\n")
                .with_context(|| format!("cannot write {}", json.display()))?;
            let chart = hanzi_synth::stats::chart_png(&report, &counts)?;
            std::fs::write(&png, chart)
                .with_context(|| format!("cannot write {}", png.display()))?;
            let c = &report.characters;
            println!(
                "{}: {} samples, {} records, {} lines; {} distinct characters (count min {}, median {}, max {})",
                dir.display(), report.samples, report.records, report.lines, c.distinct, c.min, c.median, c.max
            );
            let levels = &report.standard_levels;
            println!(
                "standard characters (2013 list): {} of 8105 appear",
                levels.iter().map(|t| t.covered).sum::<usize>()
            );
            for t in levels {
                println!(
                    "  {}: {:>4} of {:>4} appear ({:.1}%), {} appearances, fewest {}{}",
                    t.tier,
                    t.covered,
                    t.size,
                    100.0 * t.covered as f64 / t.size.max(1) as f64,
                    t.appearances,
                    t.min_count,
                    if t.missing.is_empty() {
                        String::new()
                    } else {
                        format!("; missing e.g. {}", t.missing)
                    }
                );
            }
            if let Some(w) = &report.corpus_coverage {
                println!(
                    "corpus words seen: {} of {} ({:.1}%)",
                    w.words_seen,
                    w.corpus_words,
                    w.share * 100.0
                );
            }
            for p in &report.integrity.problems {
                println!("problem: {p}");
            }
            println!("wrote {} and {}", json.display(), png.display());
            if report.integrity.ok {
                Ok(Flow::Done)
            } else {
                anyhow::bail!(
                    "{} integrity problem(s) found",
                    report.integrity.problem_count
                )
            }
        }
        Command::Merge { dir } => {
            let t = Instant::now();
            match hanzi_synth::merge::merge(&dir)? {
                hanzi_synth::merge::Merged::Written {
                    sets,
                    shards,
                    samples,
                } => println!(
                    "{}: merged {sets} shard set(s) into manifest.json ({shards} shard(s), \
                     {samples} samples) in {:.2} s; shard manifests removed. Next: \
                     `hanzi-synth verify {}`",
                    dir.display(),
                    t.elapsed().as_secs_f64(),
                    dir.display()
                ),
                hanzi_synth::merge::Merged::Already { removed: 0 } => println!(
                    "{}: already one run (manifest.json); nothing to merge",
                    dir.display()
                ),
                hanzi_synth::merge::Merged::Already { removed } => println!(
                    "{}: already merged; removed {removed} leftover shard manifest(s) of it",
                    dir.display()
                ),
            }
            Ok(Flow::Done)
        }
        Command::Verify {
            dir,
            fast,
            records,
            seed,
        } => {
            let mode = if fast {
                Mode::Fast {
                    records: records.unwrap_or(1000),
                    seed: seed.unwrap_or(0),
                }
            } else {
                Mode::Full
            };
            let t = Instant::now();
            let report = verify_mode(&dir, mode)?;
            for p in &report.problems {
                println!("problem: {p}");
            }
            if report.problem_count > report.problems.len() as u64 {
                println!(
                    "… and {} more",
                    report.problem_count - report.problems.len() as u64
                );
            }
            let unchecked = if report.fonts_unchecked > 0 {
                format!(
                    " ({} line(s) name a font not readable here: coverage not re-checked)",
                    report.fonts_unchecked
                )
            } else {
                String::new()
            };
            println!(
                "{}: {} manifest(s), {} shard(s), {} record(s){unchecked}",
                dir.display(),
                report.manifests,
                report.shards,
                report.records
            );
            match mode {
                Mode::Full => println!(
                    "mode: full (every shard's size and SHA-256, every record re-checked; {:.1} s)",
                    t.elapsed().as_secs_f64()
                ),
                Mode::Fast { seed, .. } => println!(
                    "mode: fast (every shard's size, SHA-256 and record count; {} of {} record(s) \
                     re-checked, sampled with seed {seed}; {:.1} s)",
                    report.records_checked,
                    report.records,
                    t.elapsed().as_secs_f64()
                ),
            }
            if !report.ok() {
                bail!(
                    "{} problem(s) found in {}",
                    report.problem_count,
                    dir.display()
                );
            }
            println!("ok");
            Ok(Flow::Done)
        }
        Command::Recipe {
            action: RecipeAction::Init,
        } => {
            print!("{DEFAULT_RECIPE_YAML}");
            Ok(Flow::Done)
        }
        Command::Recipe {
            action:
                RecipeAction::Check {
                    file,
                    sets,
                    count,
                    seed,
                },
        } => {
            let mut r = Recipe::load(&file)?.with_overrides(&sets)?;
            if let Some(n) = count {
                r.count = n;
            }
            if let Some(s) = seed {
                r.seed = s;
            }
            r.check()
                .with_context(|| format!("{}: invalid recipe", file.display()))?;
            // Native crops size their text to the crop, not to the canvas.
            let fit = if r.output.mode == hanzi_synth::recipe::OutputMode::NativeCrops {
                hanzi_synth::layout::FitReport::default()
            } else {
                hanzi_synth::layout::check_text_fits(&r)
            };
            if let Some(problem) = fit.problem {
                bail!("{}: {problem}", file.display());
            }
            // Everything `generate` loads before it writes: the word list, charset, fonts and
            // backgrounds the recipe names, and the coverage quota.
            let ctx =
                Context::new(r).with_context(|| format!("{}: cannot be used", file.display()))?;
            let reuse = ctx.backgrounds.reuse_warning(ctx.recipe.count);
            for warning in fit.warnings.iter().chain(&reuse) {
                println!("warning: {warning}");
            }
            println!(
                "{}: ok (recipe hash {}; {} {}s, {} font face(s), {} photo(s))",
                file.display(),
                ctx.recipe_hash,
                ctx.corpus.words.len(),
                corpus::unit_noun(&ctx.recipe.corpus),
                ctx.fonts.faces.len(),
                ctx.backgrounds.photo_count()
            );
            Ok(Flow::Done)
        }
        Command::Fonts {
            recipe,
            all_bundled,
        } => {
            let mut r = recipe.load()?.with_resolved_paths();
            if all_bundled {
                r.fonts.bundled = true;
                r.fonts.bundled_set = hanzi_synth::recipe::BundledSet::All;
                r.fonts.styles = hanzi_synth::recipe::Weights(Default::default());
                r.fonts.min_coverage = hanzi_synth::recipe::Prob(0.0);
            }
            let corpus = corpus::Corpus::load(&r.corpus)?;
            let fonts = FontSet::load(&r.fonts, &corpus.chars)?;
            println!(
                "{} usable face(s) of {} seen; coverage of {} corpus characters and of the \
                 2013 standard list's levels (3,500 / 3,000 / 1,605):",
                fonts.faces.len(),
                fonts.report.faces_seen,
                corpus.chars.len()
            );
            let mut complete = 0;
            for f in &fonts.faces {
                let covered = corpus.chars.iter().filter(|c| f.coverage.has(**c)).count();
                let tiers = hanzi_synth::tiers::coverage(|c| u64::from(f.coverage.has(c)));
                let all = tiers.iter().all(|t| t.covered == t.size);
                complete += usize::from(all);
                let weight = hanzi_synth::fonts::BUNDLED_FONTS
                    .iter()
                    .find(|b| f.file == format!("bundled:fonts/{}", b.file))
                    .map_or("", |b| b.weight);
                println!(
                    "  {:>6.2}%  {:<11} {:<8} L1 {:>4}  L2 {:>4}  L3 {:>4}{}  {} ({}#{})",
                    100.0 * covered as f64 / corpus.chars.len() as f64,
                    f.style,
                    weight,
                    tiers[0].covered,
                    tiers[1].covered,
                    tiers[2].covered,
                    if all { " all" } else { "    " },
                    f.family,
                    f.file,
                    f.index
                );
            }
            println!(
                "{complete} face(s) draw all 8,105 standard characters; a block is only ever \
                 drawn in a face that has all of its characters"
            );
            for (what, why) in &fonts.report.skipped {
                println!("  skipped  {what}: {why}");
            }
            Ok(Flow::Done)
        }
        Command::Corpus {
            action:
                CorpusAction::Build {
                    dict,
                    text,
                    top,
                    keep_punctuation,
                    out,
                },
        } => {
            let words = if let Some(dict) = dict {
                let raw = read_utf8(&dict)?;
                let (words, report) = derive_top_words(&raw, top);
                let dropped: Vec<String> = report
                    .dropped
                    .iter()
                    .map(|(why, n)| format!("{n} {}", why.describe()))
                    .collect();
                eprintln!(
                    "{}: {} entries, {} malformed line(s); dropped {}; kept {}",
                    dict.display(),
                    report.entries,
                    report.malformed_lines,
                    if dropped.is_empty() {
                        "none".to_string()
                    } else {
                        dropped.join(", ")
                    },
                    report.kept
                );
                words
            } else if !text.is_empty() {
                let texts = text
                    .iter()
                    .map(|p| read_utf8(p))
                    .collect::<Result<Vec<_>>>()?;
                let (mut words, report) = corpus::count_words_in_text(&texts, keep_punctuation);
                print_text_report(&text, &report, words.len(), keep_punctuation);
                if top > 0 {
                    words.truncate(top);
                }
                words
            } else {
                unreachable!("clap requires --dict or --text");
            };
            if words.is_empty() {
                bail!("no clean words found; nothing written");
            }
            std::fs::write(&out, corpus::to_tsv(&words))
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("wrote {} words to {}", words.len(), out.display());
            Ok(Flow::Done)
        }
        Command::Corpus {
            action: CorpusAction::Stats { file },
        } => {
            let list = match &file {
                Some(p) => parse_tsv(&read_utf8(p)?, &p.display().to_string())?,
                None => parse_tsv(corpus::BUNDLED_TSV, "corpora/top50k.tsv")?,
            };
            let s = corpus::stats(&list.words);
            println!("words               {}", s.words);
            if !list.skipped.is_empty() {
                println!(
                    "lines skipped       {} ({})",
                    list.skipped.len(),
                    corpus::describe_skips(&list.skipped)
                );
            }
            println!("distinct characters {}", s.distinct_chars);
            println!("outside GB2312      {}", s.chars_outside_gb2312);
            println!("total frequency     {}", s.total_freq);
            println!(
                "word lengths        {}",
                s.length_histogram
                    .iter()
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            Ok(Flow::Done)
        }
        Command::Corpus {
            action: CorpusAction::Tgh { unihan, out },
        } => {
            let text = if unihan.as_os_str() == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                    .context("cannot read Unihan text from standard input")?;
                s
            } else {
                read_utf8(&unihan)?
            };
            let list = hanzi_synth::tiers::derive_from_unihan(&text)?;
            std::fs::write(&out, hanzi_synth::tiers::to_tsv(&list))
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "wrote {} characters (3,500 / 3,000 / 1,605 per level) to {}",
                list.len(),
                out.display()
            );
            Ok(Flow::Done)
        }
        Command::Corpus {
            action: CorpusAction::Tail { dict, top, out },
        } => {
            let raw = read_utf8(&dict)?;
            let top_list = parse_tsv(&read_utf8(&top)?, &top.display().to_string())?;
            let exclude = corpus::parse_exclude(corpus::BUNDLED_EXCLUDE, "default")?;
            let (words, report) = corpus::derive_tail_words(&raw, &top_list.words, &exclude);
            std::fs::write(&out, corpus::to_tsv(&words))
                .with_context(|| format!("cannot write {}", out.display()))?;
            let dropped: Vec<String> = report
                .clean
                .dropped
                .iter()
                .map(|(why, n)| format!("{n} {}", why.describe()))
                .collect();
            eprintln!(
                "{}: {} entries; widened filter dropped {}; {} clean",
                dict.display(),
                report.clean.entries,
                dropped.join(", "),
                report.clean.kept
            );
            let c = report.top_covers;
            eprintln!(
                "{} covers {} / {} / {} of the levels; wrote {} tail entries to {} ({} single \
                 characters in no word: {}; {} whose words the default exclude list removes: {})",
                top.display(),
                c[0],
                c[1],
                c[2],
                report.words,
                out.display(),
                report.single_fallbacks.chars().count(),
                report.single_fallbacks,
                report.excluded_fallbacks.chars().count(),
                report.excluded_fallbacks
            );
            Ok(Flow::Done)
        }
        Command::Bench {
            recipe,
            count,
            threads,
            device,
        } => {
            let device = open_device(device);
            let ctx = Context::new(recipe.load()?)?;
            let threads = threads_to_use(threads);
            let o = &ctx.recipe.output;
            // A native crop's canvas is the crop itself, not the recipe's canvas.
            let size = if o.mode == hanzi_synth::recipe::OutputMode::NativeCrops {
                format!("native crops {} px high", o.crop_height)
            } else {
                format!(
                    "{}×{}",
                    ctx.recipe.canvas.width.0, ctx.recipe.canvas.height.0
                )
            };
            let head = format!(
                "recipe {} ({size}, {})",
                ctx.recipe_hash,
                recipe_word(&o.image_format)
            );
            match &device {
                Device::Cpu => {
                    let report = run_bench(&ctx, count, threads)?;
                    println!("{head}");
                    print!("{report}");
                }
                #[cfg(feature = "gpu")]
                Device::Gpu(g) => {
                    let report = hanzi_synth::bench::run_gpu_bench(&ctx, count, threads, g)?;
                    println!("{head}");
                    print!("{report}");
                }
            }
            Ok(Flow::Done)
        }
    }
}

/// " (2 not valid UTF-8: lines 3, 9; …)" for the generate summary; empty without skips.
fn corpus_skip_reasons(
    by_reason: &std::collections::BTreeMap<String, corpus::LineSkipCount>,
) -> String {
    if by_reason.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = by_reason
        .iter()
        .map(|(key, c)| {
            let reason: Option<corpus::LineSkip> =
                serde_json::from_value(serde_json::Value::String(key.clone())).ok();
            let lines: Vec<String> = c.first.iter().map(|n| n.to_string()).collect();
            format!(
                "{} {}: line(s) {}{}",
                c.lines,
                reason.map_or(key.as_str(), |r| r.describe()),
                lines.join(", "),
                if c.lines > c.first.len() { " …" } else { "" }
            )
        })
        .collect();
    format!(" ({})", parts.join("; "))
}

fn summary(map: &std::collections::BTreeMap<String, u64>) -> String {
    let mut v: Vec<_> = map.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| {
            format!(
                "{}={n}",
                Path::new(k.as_str())
                    .file_name()
                    .map_or(k.to_string(), |f| f.to_string_lossy().to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `corpus build --text`'s account: tokens seen, words kept, and what was left out, by reason,
/// with the most frequent examples.
fn print_text_report(
    files: &[PathBuf],
    report: &corpus::TextReport,
    distinct: usize,
    keep_punctuation: bool,
) {
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let dropped: u64 = report.tokens - report.kept_tokens;
    eprintln!(
        "{}: {} token(s); kept {} ({} distinct word(s)); dropped {}{}",
        names.join(", "),
        report.tokens,
        report.kept_tokens,
        distinct,
        dropped,
        if dropped > 0 { ":" } else { "" }
    );
    for (why, tokens) in &report.dropped {
        let n: u64 = tokens.values().sum();
        let hint = if *why == corpus::TextDrop::Punctuation && !keep_punctuation {
            " (--keep-punctuation keeps them)"
        } else {
            ""
        };
        eprintln!(
            "  {n} {} ({} distinct), e.g. {}{hint}",
            why.describe(),
            tokens.len(),
            report.examples(*why, 6).join(" ")
        );
    }
}

fn read_utf8(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not valid UTF-8 (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks over every subcommand (with the features this build has):
    /// two flattened option groups sharing an argument id once made `ab --steps` unusable.
    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    #[cfg(feature = "train")]
    #[test]
    fn ab_takes_training_and_sampling_steps_apart() {
        use clap::Parser;
        let cli = super::Cli::try_parse_from([
            "hanzi-synth",
            "ab",
            "--a",
            "a.yaml",
            "--b",
            "b.yaml",
            "--steps",
            "800",
            "--sample-steps",
            "10",
            "--sample-seed",
            "7",
            "-o",
            "out",
        ])
        .expect("ab parses");
        let super::Command::Ab(args) = cli.command else {
            panic!("not ab")
        };
        assert_eq!(args.hyper.steps, 800);
        assert_eq!(args.sampling.steps, 10);
        assert_eq!(args.sampling.seed, 7);
    }
}
