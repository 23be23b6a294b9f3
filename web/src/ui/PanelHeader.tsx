import { type ReactNode, useEffect, useRef } from 'react';
import { Link } from '../router.tsx';

/** The top of a side panel: its heading (focused when the panel opens) and a way back to the list. */
export function PanelHeader(props: {
  id: string;
  title: string;
  /** Where "Back to …" goes, and what it says after "Back to". */
  back: { to: string; label: string };
  children?: ReactNode;
}) {
  const { id, title, back, children } = props;
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);
  return (
    <div className="panel-head">
      <Link to={back.to} className="back-link">
        <span aria-hidden="true">←</span> Back to {back.label}
      </Link>
      <h2 id={id} ref={headingRef} tabIndex={-1}>
        {title}
      </h2>
      {children}
    </div>
  );
}
