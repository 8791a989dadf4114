from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from benchmarks.models import Benchmark, RulesApplied
from benchmarks.ranking_moves import (
    NO_RUN,
    RankingMoves,
    Standing,
    ranking_moves,
    ranking_standings,
    why_left,
)
from benchmarks.rescoring import RESCORE_BATCH, RescoreResult, benchmark_rescore
from benchmarks.scoring import SCORING_VERSION, WeightsError, parse_weights
from benchmarks.services import device_ranking_refresh, score_weights
from insights.reevaluation import attention_evaluate_all
from inventory.matching import device_get_by_hostname
from inventory.models import Device


class Command(BaseCommand):
    help = (
        "Re-apply the scoring, validity and attention rules in force (SCORE_WEIGHTS, VALIDITY_*, "
        "REGRESSION_PCT, …) to stored runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--weights",
            help="Weights to try instead of SCORE_WEIGHTS, e.g. 'cpu=0.5,gpu=0', with --dry-run.",
        )
        parser.add_argument(
            "--device",
            action="append",
            default=[],
            help="Only this hostname, whatever its case (repeatable).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change and save nothing."
        )

    def handle(self, *args, weights: str | None, device: list[str], dry_run: bool, **options):
        if weights is not None and not weights.strip():
            # parse_weights reads "" as the defaults (an unset SCORE_WEIGHTS): a script's unset
            # variable tried them, not SCORE_WEIGHTS
            raise CommandError("--weights is empty: give the weights to try, e.g. cpu=0.5,gpu=0.")
        try:
            parsed = parse_weights(weights) if weights is not None else None
        except WeightsError as exc:
            raise CommandError(f"--weights: {str(exc).removeprefix('SCORE_WEIGHTS: ')}") from None
        if parsed is not None and not dry_run and parsed != score_weights():
            # stored, they would rank these runs by other weights than every later submission
            raise CommandError(
                "--weights is a trial: add --dry-run to see what would change. To score by "
                f"these weights, set SCORE_WEIGHTS={weights} (what new submissions are scored "
                "with) and run rescore."
            )
        benchmarks, devices = None, None  # every run, then every device's figures
        if device:
            devices = self.devices_named(device)
            benchmarks = Benchmark.objects.filter(device__in=devices)
        total = (benchmarks if benchmarks is not None else Benchmark.objects).count()
        # what the server that received the newest run scored it with, before this rescore
        runs = Benchmark.objects.order_by("-received_at", "-id").values_list("weights")
        newest_weights = _weights(next(iter(runs[:1]), (None,))[0])
        started = timezone.now()
        standings = ranking_standings()  # a figure a machine in the ranking, before
        result = benchmark_rescore(
            benchmarks=benchmarks,
            weights=parsed,
            dry_run=dry_run,
            # a long history is told as it goes (an upgrade's migrate runs this before the
            # server answers): a line per batch, not a silence of minutes
            progress=self.progress("runs examined", total) if total > RESCORE_BATCH else None,
            ranking=dry_run,  # what a rescore's refresh of the devices' figures would leave
        )
        if devices is not None and not dry_run:
            # a machine named that has no run: its figures cleared, as a rescore of all clears them
            runless = [named.pk for named in devices if named.pk not in result.device_ids]
            if runless:
                device_ranking_refresh(device_ids=runless)
        used = parsed or score_weights()
        self.stdout.write(
            "Weights: "
            + ", ".join(f"{name}={weight:g}" for name, weight in used.items())
            + " (each run's global score divides by the weights of the categories it has)"
        )
        # on the devices' figures as the rescore left them (its attention aside), or would
        after = _tried(standings, result, devices) if dry_run else ranking_standings()
        # the machines whose runs arrived while it ran moved by them, not by the rescore: left
        # out of its moves (150 machines submitting meanwhile made 288 of 400 "move place"); a
        # trial's figures are drawn from the standings before, which no run moves
        meanwhile = set()
        if not dry_run:
            arrived = Device.objects.filter(last_received_at__gte=started)
            meanwhile = set(arrived.values_list("pk", flat=True))
        standings = {pk: s for pk, s in standings.items() if pk not in meanwhile}
        after = {pk: s for pk, s in after.items() if pk not in meanwhile}
        # a machine retired or deleted while it ran left it too: said so, not "having no run"
        why = why_left([pk for pk in standings if pk not in after])
        self.ranking(ranking_moves(standings, after, why), dry_run=dry_run)
        if meanwhile:
            self.stdout.write(
                f"{len(meanwhile):,} machine(s) submitted a run while it ran: their runs moved "
                "them, not the rescore (left out of these moves)."
            )
        # a run whose global score and validity stay as they are is listed no more than counted:
        # only what it records changes (the weights in force, the scoring version, the reasons)
        if result.shown:
            first = f" (the first {len(result.shown)})" if result.moved > len(result.shown) else ""
            changed = "would change" if dry_run else "changed"
            self.stdout.write(f"Runs whose figures {changed}, by id{first}:")
        for change in result.shown:
            line = f"  #{change.benchmark_id} {change.hostname}: global {change.global_before}"
            line += f" → {_global(change.global_after)}"
            if change.validity_before != change.validity_after:
                line += f", {change.validity_before} → {change.validity_after}"
            if change.run_at_before != change.run_at_after:
                line += f", run at {change.run_at_before:%Y-%m-%d %H:%M} → "
                dated_by = "its arrival" if change.by_arrival else "its started_at"
                line += f"{change.run_at_after:%Y-%m-%d %H:%M} ({dated_by})"
            self.stdout.write(line)
        if result.moved > len(result.shown):
            self.stdout.write(f"  … and {result.moved - len(result.shown):,} more")
        counts = (
            f"{result.examined:,} benchmark(s) examined; {result.moved:,} "
            f"{'would get' if dry_run else 'got'} another global score, validity or run time"
        )
        if result.changed > result.moved:
            counts += (
                f", {result.changed - result.moved:,} other(s) "
                f"{'would only record' if dry_run else 'only record'} the weights and rules in "
                "force (their figures unchanged)"
            )
        if dry_run:
            self.stdout.write(
                f"Dry run: {counts}. Nothing was saved; attention items are re-evaluated (and "
                "notified) by a run without --dry-run."
            )
            return
        evaluated = attention_evaluate_all(
            devices=devices, progress=self.progress("devices evaluated", None)
        )
        if devices is None:  # every run and device: the rules in force are applied whole
            RulesApplied.objects.update_or_create(
                pk=1, defaults={"scoring_version": SCORING_VERSION}
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Rescored: {counts}. "
                f"Attention re-evaluated on {evaluated.devices:,} device(s): "
                f"{evaluated.opened:,} item(s) opened, {evaluated.resolved:,} resolved."
            )
        )
        # a server reads SCORE_WEIGHTS when it starts: one started before the change goes on
        # scoring what it receives by the old weights, beside the runs rescored here. A run
        # scored so while this ran is sure to be such a server's: a warning. The runs before,
        # of before the change or of such a server, are not told apart (whose run is unknown,
        # and weights put back are alike): a line that says what to check (the README's
        # change, restart, rescore was warned to restart and rescore again, every time)
        if stale := _stale(runs.filter(received_at__gte=started), parsed):
            self.stdout.write(
                self.style.WARNING(
                    f"A run received while it ran was scored with {_said(stale, used)}: a "
                    "server started before the change still scores by those (it reads "
                    "SCORE_WEIGHTS when it starts). Restart it (systemctl restart benchtools, "
                    "docker compose restart), then run rescore again for what it received."
                )
            )
        elif newest_weights and newest_weights != used:
            self.stdout.write(
                f"The newest run had been scored with {_said(newest_weights, used)}, as every "
                "run before a change is; rescored now. A server reads SCORE_WEIGHTS when it "
                "starts: one not restarted since the change scores new runs by those still."
            )

    def ranking(self, moves: RankingMoves, *, dry_run: bool) -> None:
        """The ranking as the rescore leaves it: the machines that leave it (no run), then those
        whose place moves, the biggest moves first, each with its figure and place before and
        after; the others counted."""
        move, get = ("would move", "would get") if dry_run else ("moved", "got")
        header = (
            f"Ranking{' as it would be' if dry_run else ''}: "
            f"{f'{moves.moved:,}' if moves.moved else 'none'} of {moves.ranked:,} machine(s) "
            f"{move} place ({moves.refigured:,} {get} another figure)"
            + (", the biggest moves first" if moves.moved else "")
        )
        if moves.left:
            header += f"; {moves.left:,} {'would leave' if dry_run else 'left'} it"
            if len(moves.left_by) == 1:
                header += f", {next(iter(moves.left_by))}"
            else:  # "(1 having no run, 1 retired meanwhile)"
                header += f" ({', '.join(f'{n:,} {why}' for why, n in moves.left_by.items())})"
        self.stdout.write(header + (":" if moves.moved or moves.left else "."))
        self.listed(
            [
                f"  place {gone.place_before:,} → out: {gone.hostname}, "
                f"global {gone.score_before}, {'no run' if gone.why == NO_RUN else gone.why}"
                for gone in moves.shown_left
            ],
            moves.left,
        )
        self.listed(
            [
                f"  place {moved.place_before:,} → {moved.place_after:,}: {moved.hostname}, "
                f"global {moved.score_before} → {_global(moved.score_after)}"
                for moved in moves.shown
            ],
            moves.moved,
        )

    def listed(self, lines: list[str], total: int) -> None:
        """The lines of the first machines of `total`, then how many more there are."""
        for line in lines:
            self.stdout.write(line)
        if total > len(lines):
            self.stdout.write(f"  … and {total - len(lines):,} more machine(s)")

    def progress(self, what: str, total: int | None):
        def tell(done: int) -> None:
            if total and done > total:  # runs that arrived while it ran ("1,097 of 1,065")
                said = f"{done:,} {what} ({total:,} when it started, the others arrived since)"
            else:
                said = f"{done:,}{f' of {total:,}' if total else ''} {what}"
            self.stdout.write(f"  {said}")

        return tell

    @staticmethod
    def devices_named(names: list[str]) -> list[Device]:
        """The devices of these hostnames, case-insensitively, as everywhere else; a name that
        is no device's stops the command before anything is examined."""
        found, unknown = [], []
        for name in dict.fromkeys(names):
            device = device_get_by_hostname(name)
            if device is None:
                unknown.append(name)
            elif device not in found:
                found.append(device)
        if unknown:
            raise CommandError(f"No device with the hostname {', '.join(map(repr, unknown))}.")
        return found


def _tried(
    standings: dict[int, Standing], result: RescoreResult, devices: list[Device] | None
) -> dict[int, Standing]:
    """The ranking a rescore would leave: a machine's figure is that of the run it would be
    ranked by; one tried that has no run leaves it (a rescore clears its figures: its stored
    figure was shown as kept); one not tried (not named by --device) keeps its figure."""
    tried = None if devices is None else {named.pk for named in devices}
    after = {}
    for pk, now in standings.items():
        if pk in result.ranked:
            after[pk] = now._replace(score=result.ranked[pk].score)
        elif tried is not None and pk not in tried:
            after[pk] = now
    return after


def _global(score: float | None) -> str:
    # weights that leave none of a run's categories (a trial of gpu alone, a run without one)
    return "none (no weighted category)" if score is None else str(score)


def _stale(runs, parsed) -> dict[str, float] | None:
    """The first weights among these runs' (of their first thousand) other than those in force."""
    used = parsed or score_weights()
    scored = (_weights(stored) for (stored,) in runs[:1000])
    return next((weights for weights in scored if weights and weights != used), None)


def _said(weights: dict[str, float], used: dict[str, float]) -> str:
    # in the categories' order (PostgreSQL's jsonb keeps its keys its own way)
    order = [*used, *weights]
    return ", ".join(f"{name}={weights[name]:g}" for name in sorted(weights, key=order.index))


def _weights(stored) -> dict[str, float] | None:
    if not stored:
        return None
    try:
        return {name: float(weight) for name, weight in stored.items()}
    except (AttributeError, TypeError, ValueError):
        return None  # not weights as a server writes them: nothing to compare
