/** Below a paged list: how many are shown, and "Load more" while the server has more. */
export function ListFooter(props: {
  count: number;
  noun: [singular: string, plural: string];
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
}) {
  const { count, noun, hasMore, loadingMore, onLoadMore } = props;
  return (
    <div className="list-footer">
      {count > 0 && (
        <p className="muted small">
          Showing {count} {count === 1 ? noun[0] : noun[1]}
          {hasMore ? '' : ' (all)'}
        </p>
      )}
      {hasMore && (
        <button type="button" className="button button-secondary" onClick={onLoadMore} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
