//! Problems with what someone entered, one per field, collected so that a form shows all of them
//! at once instead of one per attempt.

use std::fmt;

/// A problem with one field, in words for the person who typed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: &'static str, message: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field,
            message: message.into(),
        }
    }
}

/// One or more fields' problems, in the order of the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems(Vec<FieldProblem>);

impl Problems {
    /// The first problem: there always is one.
    pub fn first(&self) -> &FieldProblem {
        &self.0[0]
    }

    /// The problems found, if there are any.
    pub fn gathered(problems: Vec<FieldProblem>) -> Option<Problems> {
        (!problems.is_empty()).then_some(Problems(problems))
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldProblem> {
        self.0.iter()
    }

    /// The problem of `field`, if it has one.
    pub fn of(&self, field: &str) -> Option<&FieldProblem> {
        self.0.iter().find(|problem| problem.field == field)
    }

    /// "nickname: …; api_base: …", for callers that read one line (API clients, logs).
    pub fn by_field(&self) -> String {
        self.0
            .iter()
            .map(|problem| format!("{}: {}", problem.field, problem.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl From<FieldProblem> for Problems {
    fn from(problem: FieldProblem) -> Self {
        Problems(vec![problem])
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.by_field())
    }
}

/// A tuple of checks' results: all their values, or every problem among them.
pub trait AllChecked {
    type Values;
    fn all_checked(self) -> Result<Self::Values, Problems>;
}

macro_rules! all_checked_for {
    ($($value:ident $result:ident),+) => {
        impl<$($value),+> AllChecked for ($(Result<$value, FieldProblem>,)+) {
            type Values = ($($value,)+);

            fn all_checked(self) -> Result<Self::Values, Problems> {
                let ($($result,)+) = self;
                let mut problems = Vec::new();
                $(let $result = $result.map_err(|problem| problems.push(problem)).ok();)+
                match ($($result,)+) {
                    ($(Some($result),)+) => Ok(($($result,)+)),
                    _ => Err(Problems(problems)),
                }
            }
        }
    };
}

all_checked_for!(A a, B b);
all_checked_for!(A a, B b, C c);
all_checked_for!(A a, B b, C c, D d);
all_checked_for!(A a, B b, C c, D d, E e);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_kept_in_order_and_values_come_back_when_there_is_none() {
        let checked = (
            Ok::<_, FieldProblem>(1),
            Err::<u8, _>(FieldProblem::new("nickname", "Too long.")),
            Err::<u8, _>(FieldProblem::new("api_base", "Use https.")),
        )
            .all_checked();
        let problems = checked.unwrap_err();
        assert_eq!(problems.first().field, "nickname");
        assert_eq!(problems.iter().count(), 2);
        assert_eq!(problems.of("api_base").unwrap().message, "Use https.");
        assert_eq!(
            problems.to_string(),
            "nickname: Too long.; api_base: Use https."
        );

        let fine = (Ok::<_, FieldProblem>(1), Ok::<_, FieldProblem>("a")).all_checked();
        assert_eq!(fine, Ok((1, "a")));
    }
}
