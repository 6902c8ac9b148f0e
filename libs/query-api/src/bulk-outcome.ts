/**
 * What a bulk action of the query API answers, on findings (`POST /events/bulk`) and on repair
 * jobs (`POST /repairs/bulk`) alike: how many the filter matched, how many the call touches
 * (or would, in a dry run), and which it acted on.
 */
export interface BulkOutcome {
  action: string;
  dry_run: boolean;
  /** Objects the filter selects. */
  matched: number;
  /** Objects the action touches (would touch, in a dry run): `matched` up to `max`. */
  selected: number;
  /** Objects it acted on (0 in a dry run; fewer than `selected` if some moved on meanwhile). */
  acted: number;
  ids: string[];
}
