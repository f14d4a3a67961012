/**
 * `"$user:NAME"`: the scenario user NAME as named on the target. On a shared target every user
 * carries the run's prefix, so a probe's frames and expectations name users through this and the
 * runner expands it (runner/probe.ts); validation checks that NAME is a declared user.
 */

/** A user name as `users:` allows it (schemas/scenario.schema.json $defs/name). */
const NAME = '[A-Za-z0-9][A-Za-z0-9_.-]{0,63}';

export const USER_NAME = new RegExp(`^${NAME}$`);

/** A whole value that is a user reference; group 1 is the user. */
export const USER_REF = new RegExp(`^\\$user:(${NAME})$`);

/** User references as JSON strings inside a frame's text; group 1 is the user. */
export const USER_REF_IN_TEXT = new RegExp(`"\\$user:(${NAME})"`, 'g');
