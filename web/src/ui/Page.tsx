import { type ReactNode, useEffect } from 'react';

/** A page's heading and document title. */
export function Page(props: { title: string; actions?: ReactNode; children: ReactNode; className?: string }) {
  const { title, actions, children, className } = props;
  useEffect(() => {
    document.title = `${title} · Stock Verify`;
  }, [title]);
  return (
    <div className={className ? `page ${className}` : 'page'}>
      <div className="page-head">
        <h1 tabIndex={-1}>{title}</h1>
        {actions}
      </div>
      {children}
    </div>
  );
}
