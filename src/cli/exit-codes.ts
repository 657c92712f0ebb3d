/** Exit codes are a public interface: CI pipelines branch on them. Documented in README. */
export const EXIT = {
  clean: 0,
  findings: 1,
  usage: 2,
  notAudited: 3,
  interrupted: 130,
} as const;
