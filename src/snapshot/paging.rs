//! Render's cursor pagination. A [`Page`] is a value: its items and where the next page
//! starts (the cursor of its last element, or nowhere when it is empty or short).
//! [`all_pages`] is the separate layer that follows pages to the end, and refuses to loop:
//! a cursor the server already sent, or more pages than the cap, is an error.

use std::collections::HashSet;
use std::future::Future;

use serde::de::DeserializeOwned;

use super::client::{Client, Endpoint, ErrorKind, RequestError};
use super::wire::{Listed, WithCursor};

/// Items per page: the API's maximum.
pub const PAGE_LIMIT: usize = 100;

/// One page of a cursor-paginated list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor to ask for the next page with; `None` on the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// An empty page or one shorter than `limit` is the last; otherwise the next page starts
    /// after the last element. A full page whose last element has no cursor cannot be
    /// followed, and saying so beats silently dropping the rest of the list.
    pub fn from_elements(elements: Vec<WithCursor<T>>, limit: usize) -> Result<Page<T>, String> {
        let next = if elements.len() < limit {
            None
        } else {
            match elements.last().and_then(|e| e.cursor.clone()) {
                Some(c) => Some(c),
                None => {
                    return Err(format!(
                        "a full page of {} items has no cursor on its last item, so the rest of the list cannot be read",
                        elements.len()
                    ));
                }
            }
        };
        Ok(Page {
            items: elements.into_iter().map(|e| e.item).collect(),
            next,
        })
    }
}

/// The endpoint asked for one page.
fn page_endpoint(endpoint: &Endpoint, cursor: Option<&str>) -> Endpoint {
    let mut e = endpoint.clone();
    if let Some(c) = cursor {
        e = e.query("cursor", c);
    }
    e
}

/// Follow pages from the first to the last. `fetch` gets the cursor to continue from
/// (`None` for the first page) and returns the page with its response's request id.
pub async fn all_pages<T, F, Fut>(
    endpoint: &Endpoint,
    max_pages: usize,
    mut fetch: F,
) -> Result<Vec<T>, RequestError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Page<T>, Option<String>), RequestError>>,
{
    let mut items = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut cursor: Option<String> = None;
    for _ in 0..max_pages {
        let (page, request_id) = fetch(cursor.clone()).await?;
        items.extend(page.items);
        let Some(next) = page.next else {
            return Ok(items);
        };
        if !seen.insert(next.clone()) {
            let mut e = RequestError::new(
                &page_endpoint(endpoint, cursor.as_deref()),
                ErrorKind::Paging,
                format!(
                    "the API sent cursor `{next}` a second time; following it would read the same pages forever"
                ),
            );
            e.status = Some(200);
            e.request_id = request_id;
            return Err(e);
        }
        cursor = Some(next);
    }
    Err(RequestError::new(
        &page_endpoint(endpoint, cursor.as_deref()),
        ErrorKind::Paging,
        format!(
            "the list is longer than {max_pages} pages of {PAGE_LIMIT}; stopping rather than reading without end: a list this long points at a server that never stops paging"
        ),
    ))
}

/// Every element of a cursor-paginated list, `limit=100` a page.
pub async fn list<T: Listed + DeserializeOwned>(
    client: &Client,
    endpoint: Endpoint,
) -> Result<Vec<T>, RequestError> {
    let first = endpoint.query("limit", PAGE_LIMIT.to_string());
    all_pages(&first, client.max_pages, |cursor| {
        let e = page_endpoint(&first, cursor.as_deref());
        async move {
            let fetched = client.get::<Vec<WithCursor<T>>>(&e).await?;
            let page = Page::from_elements(fetched.value, PAGE_LIMIT).map_err(|m| {
                let mut err = RequestError::new(&e, ErrorKind::Paging, m);
                err.status = Some(200);
                err.request_id = fetched.request_id.clone();
                err
            })?;
            Ok((page, fetched.request_id))
        }
    })
    .await
}

/// A list the API returns as a bare array without cursors (`/env-groups`,
/// `/registrycredentials`): one request, and whether the page came back full, in which
/// case more items may exist that no request can reach.
#[derive(Debug)]
pub struct Unpaged<T> {
    pub items: Vec<T>,
    pub full: bool,
}

pub async fn unpaged<T: DeserializeOwned>(
    client: &Client,
    endpoint: Endpoint,
) -> Result<Unpaged<T>, RequestError> {
    let e = endpoint.query("limit", PAGE_LIMIT.to_string());
    let items: Vec<T> = client.get(&e).await?.value;
    Ok(Unpaged {
        full: items.len() >= PAGE_LIMIT,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(range: std::ops::Range<u32>) -> Vec<WithCursor<u32>> {
        range
            .map(|i| WithCursor {
                cursor: Some(format!("c{i}")),
                item: i,
            })
            .collect()
    }

    #[test]
    fn short_and_empty_pages_are_the_last() {
        assert_eq!(Page::from_elements(elements(0..3), 5).unwrap().next, None);
        assert_eq!(Page::from_elements(elements(0..0), 5).unwrap().next, None);
        assert_eq!(
            Page::from_elements(elements(0..5), 5)
                .unwrap()
                .next
                .as_deref(),
            Some("c4")
        );
        let mut no_cursor = elements(0..5);
        no_cursor[4].cursor = None;
        assert!(
            Page::from_elements(no_cursor, 5)
                .unwrap_err()
                .contains("no cursor")
        );
    }

    /// A fake server over `n` items, `limit` a page, cursor `c<i>` = after item i.
    fn serve(n: u32, limit: u32, cursor: Option<String>) -> (Page<u32>, Option<String>) {
        let start = cursor
            .map(|c| c[1..].parse::<u32>().unwrap() + 1)
            .unwrap_or(0);
        let end = (start + limit).min(n);
        (
            Page::from_elements(elements(start..end), limit as usize).unwrap(),
            Some(format!("req-{start}")),
        )
    }

    #[tokio::test]
    async fn follows_every_page_including_an_exactly_full_last_one() {
        let ep = Endpoint::new("/services");
        for n in [0, 1, 99, 100, 101, 250, 300] {
            let mut calls = 0;
            let items = all_pages(&ep, 100, |c| {
                calls += 1;
                std::future::ready(Ok(serve(n, 100, c)))
            })
            .await
            .unwrap();
            assert_eq!(items, (0..n).collect::<Vec<_>>());
            // A list whose last page is full needs one more (empty) page to know it ended.
            assert_eq!(calls, n / 100 + 1, "n = {n}");
        }
    }

    #[tokio::test]
    async fn a_repeated_cursor_is_an_error_not_a_loop() {
        let ep = Endpoint::new("/services").query("limit", "2");
        let e = all_pages(&ep, 100, |_| {
            std::future::ready(Ok((
                Page::from_elements(elements(0..2), 2).unwrap(),
                Some("req-9".to_string()),
            )))
        })
        .await
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Paging);
        assert!(e.message.contains("cursor `c1` a second time"), "{e}");
        assert_eq!(e.request_id.as_deref(), Some("req-9"));
        assert!(
            e.to_string()
                .starts_with("GET /services?limit=2&cursor=c1: 200 OK (request id req-9)"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn the_page_cap_fails_loudly() {
        let ep = Endpoint::new("/services");
        let e = all_pages(&ep, 3, |c| std::future::ready(Ok(serve(1000, 100, c))))
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Paging);
        assert!(e.message.contains("longer than 3 pages"), "{e}");
    }
}
