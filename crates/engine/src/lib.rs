//! The local Amazon States Language interpreter (JSONPath dialect) with a clock abstraction.
//! Empty until the "Experiment state machine, embedded ASL engine, and `gameday run`" issue.
