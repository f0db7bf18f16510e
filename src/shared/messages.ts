/**
 * The message catalog: every user-facing message, in English and Arabic. `{name}` placeholders
 * are filled from the error's parameters. Codes are stable API: clients may branch on them.
 */
export const LANGUAGES = ['en', 'ar'] as const;
export type Language = (typeof LANGUAGES)[number];

const catalog = {
  // problem titles, by HTTP status
  'title.400': { en: 'Bad request', ar: 'طلب غير صالح' },
  'title.401': { en: 'Unauthorized', ar: 'غير مصرح' },
  'title.403': { en: 'Forbidden', ar: 'ممنوع' },
  'title.404': { en: 'Not found', ar: 'غير موجود' },
  'title.409': { en: 'Conflict', ar: 'تعارض' },
  'title.413': { en: 'Payload too large', ar: 'حجم الطلب كبير جدًا' },
  'title.415': { en: 'Unsupported media type', ar: 'نوع وسائط غير مدعوم' },
  'title.422': { en: 'Unprocessable content', ar: 'محتوى غير قابل للمعالجة' },
  'title.429': { en: 'Too many requests', ar: 'طلبات كثيرة جدًا' },
  'title.500': { en: 'Internal server error', ar: 'خطأ داخلي في الخادم' },
  'title.503': { en: 'Service unavailable', ar: 'الخدمة غير متاحة' },

  // request-level errors
  'request.malformed_json': { en: 'The request body is not valid JSON.', ar: 'محتوى الطلب ليس JSON صالحًا.' },
  'request.too_deep': { en: 'The JSON body nests deeper than {limit} levels.', ar: 'يتداخل محتوى JSON لأعمق من {limit} مستوى.' },
  'request.incomplete_body': { en: 'The request body ended before it was complete.', ar: 'انتهى محتوى الطلب قبل اكتماله.' },
  'request.bad': { en: 'The request could not be understood.', ar: 'تعذر فهم الطلب.' },
  'request.too_large': { en: 'The request body exceeds the limit of {limit} bytes.', ar: 'يتجاوز محتوى الطلب الحد المسموح به وهو {limit} بايت.' },
  'request.unsupported_media_type': {
    en: 'Content type "{type}" is not supported; send application/json.',
    ar: 'نوع المحتوى "{type}" غير مدعوم؛ أرسل application/json.',
  },
  'route.not_found': { en: 'No route matches {method} {url}.', ar: 'لا يوجد مسار يطابق {method} {url}.' },
  'server.error': {
    en: 'An unexpected error occurred. Quote request id {request_id} when reporting it.',
    ar: 'حدث خطأ غير متوقع. اذكر معرّف الطلب {request_id} عند الإبلاغ عنه.',
  },
  'upload.too_many_in_flight': {
    en: 'This tenant already has {limit} uploads queued or being ingested; send more when one is done.',
    ar: 'لدى هذا المستأجر {limit} رفعات في الانتظار أو قيد المعالجة؛ أرسل المزيد عند انتهاء إحداها.',
  },
  'upload.too_large': { en: 'The file exceeds the upload limit of {limit} bytes.', ar: 'يتجاوز الملف حد الرفع وهو {limit} بايت.' },
  'upload.not_multipart': {
    en: 'Send the file as multipart/form-data in a field named "file".',
    ar: 'أرسل الملف بصيغة multipart/form-data في حقل باسم "file".',
  },
  'upload.not_csv': { en: 'The file is not a CSV text file: {reason}.', ar: 'الملف ليس ملف CSV نصيًا: {reason}.' },
  'upload.object_not_found': { en: 'There is no object "{key}" in the object store.', ar: 'لا يوجد كائن "{key}" في مخزن الكائنات.' },
  'upload.object_forbidden': {
    en: 'A tenant may import only objects under "{prefix}" or of its own uploads.',
    ar: 'يمكن للمستأجر استيراد الكائنات الموجودة تحت "{prefix}" أو كائنات رفعاته فقط.',
  },
  'dependency.unavailable': {
    en: 'The {dependency} is unavailable at the moment; nothing was changed. Retry after {retry_after} seconds.',
    ar: 'الخدمة التابعة ({dependency}) غير متاحة حاليًا؛ لم يتغير شيء. أعد المحاولة بعد {retry_after} ثانية.',
  },
  'server.unavailable': { en: 'The service is not ready: {reason}.', ar: 'الخدمة غير جاهزة: {reason}.' },

  // auth
  'auth.missing_key': {
    en: 'Send an API key as "Authorization: Bearer <key>" or "X-API-Key".',
    ar: 'أرسل مفتاح API في "Authorization: Bearer <key>" أو "X-API-Key".',
  },
  'auth.invalid_key': { en: 'The API key is invalid or has been revoked.', ar: 'مفتاح API غير صالح أو تم إلغاؤه.' },
  'auth.admin_only': { en: 'This route needs the admin key.', ar: 'يتطلب هذا المسار مفتاح المسؤول.' },
  'auth.tenant_required': {
    en: 'The admin key must name a tenant with the X-Tenant-Id header for this route.',
    ar: 'يجب أن يحدد مفتاح المسؤول مستأجرًا عبر الترويسة X-Tenant-Id لهذا المسار.',
  },
  'auth.too_many_failures': {
    en: 'Too many failed authentications from this address; try again later.',
    ar: 'محاولات مصادقة فاشلة كثيرة من هذا العنوان؛ حاول لاحقًا.',
  },
  'request.rate_limited': {
    en: 'This API key sent more than {max} requests in {seconds} s; slow down and retry after the time in Retry-After.',
    ar: 'أرسل مفتاح API هذا أكثر من {max} طلب خلال {seconds} ثانية؛ أبطئ وأعد المحاولة بعد المدة في Retry-After.',
  },
  'request.tenant_busy': {
    en: 'This tenant has too many requests waiting; retry after the time in Retry-After.',
    ar: 'لدى هذا المستأجر طلبات منتظرة كثيرة جدًا؛ أعد المحاولة بعد المدة في Retry-After.',
  },
  'auth.unknown_tenant': { en: 'Tenant "{tenant}" named by X-Tenant-Id does not exist.', ar: 'المستأجر "{tenant}" المحدد في X-Tenant-Id غير موجود.' },

  // resources
  'resource.not_found': { en: '{resource} "{id}" was not found.', ar: 'لم يتم العثور على {resource} "{id}".' },
  'resource.duplicate_code': { en: 'A {resource} with code "{code}" already exists.', ar: 'يوجد بالفعل {resource} بالرمز "{code}".' },
  'resource.in_use': { en: '{resource} "{id}" is still in use: {reason}.', ar: '{resource} "{id}" لا يزال قيد الاستخدام: {reason}.' },
  'resource.duplicate': { en: 'The resource already exists.', ar: 'المورد موجود بالفعل.' },

  // inventory
  'inventory.stale_on_hand': {
    en: 'Stock of {sku} at {hub} changed: expected on_hand {expected}, found {actual}.',
    ar: 'تغير مخزون {sku} في {hub}: المتوقع {expected} والموجود {actual}.',
  },
  'inventory.below_reserved': {
    en: 'on_hand of {sku} at {hub} would be {on_hand}, below the {reserved} units reserved and {held} held.',
    ar: 'ستصبح الكمية المتوفرة من {sku} في {hub} {on_hand}، أقل من الكمية المحجوزة {reserved} والمعلقة {held}.',
  },
  'hold.insufficient_stock': {
    en: 'Not enough stock to hold every line; nothing was held (see shortages).',
    ar: 'لا يوجد مخزون كافٍ لتعليق جميع البنود؛ لم يُعلَّق شيء (انظر النواقص).',
  },
  'hold.not_active': { en: 'Hold {id} is {status}: it no longer holds stock.', ar: 'التعليق {id} حالته {status}: لم يعد يحجز مخزونًا.' },
  'hold.expired': { en: 'Hold {id} expired at {expires_at}.', ar: 'انتهت صلاحية التعليق {id} في {expires_at}.' },
  'hold.mismatch': {
    en: 'The order does not ask for the units hold {id} holds (per SKU, and at the hub a line names).',
    ar: 'لا يطلب الطلب الوحدات التي يعلقها التعليق {id} (لكل صنف، وفي المستودع الذي يحدده البند).',
  },
  'hold.taken': { en: 'Hold {id} was already used by order {order_id}.', ar: 'استُخدم التعليق {id} من قبل في الطلب {order_id}.' },
  'inventory.insufficient_stock': {
    en: 'Not enough stock to reserve every line of order {order_id}.',
    ar: 'لا يوجد مخزون كافٍ لحجز جميع بنود الطلب {order_id}.',
  },
  'reservation.closed': { en: 'The reservation of order {order_id} is already {status}.', ar: 'حجز الطلب {order_id} أصبح بالفعل {status}.' },
  'reservation.exceeds_held': {
    en: 'Order {order_id} holds fewer units of a line than asked to settle; nothing changed.',
    ar: 'يحجز الطلب {order_id} وحدات أقل مما طُلبت تسويته في أحد البنود؛ لم يتغير شيء.',
  },
  'reservation.operation_mismatch': {
    en: 'Operation {operation_id} was already used to {action} units of order {order_id}.',
    ar: 'استُخدمت العملية {operation_id} من قبل لـ {action} وحدات الطلب {order_id}.',
  },
  'reservation.mismatch': { en: 'Order {order_id} already has a reservation with other lines or hub.', ar: 'للطلب {order_id} حجز سابق ببنود أو مستودع مختلف.' },

  // orders and customers
  'webhook.dispatch_pending': {
    en: 'Dispatch "{id}" is already pending: it will be sent without a retry.',
    ar: 'الإرسال "{id}" قيد الانتظار بالفعل: سيُرسل دون إعادة محاولة.',
  },
  // The same, under its code from before dispatches were named so (the deprecated /deliveries paths).
  'webhook.delivery_pending': {
    en: 'Dispatch "{id}" is already pending: it will be sent without a retry.',
    ar: 'الإرسال "{id}" قيد الانتظار بالفعل: سيُرسل دون إعادة محاولة.',
  },
  'customer.duplicate_email': { en: 'A customer with e-mail "{email}" already exists.', ar: 'يوجد بالفعل عميل بالبريد الإلكتروني "{email}".' },
  'order.duplicate_reference': { en: 'An order with reference "{reference}" already exists.', ar: 'يوجد بالفعل طلب بالمرجع "{reference}".' },
  'order.transition_refused': {
    en: 'Order {id} is {from}; it cannot become {to}. Allowed: {allowed}.',
    ar: 'الطلب {id} في حالة {from}؛ لا يمكن أن يصبح {to}. المسموح: {allowed}.',
  },
  'delivery.not_pending': {
    en: 'Delivery {id} is {status}; only a pending delivery can {action}.',
    ar: 'التسليم {id} في حالة {status}؛ لا يمكن {action} إلا لتسليم معلق.',
  },
  'delivery.not_shipped': {
    en: 'Delivery {id} is {status}; only a shipped delivery can be delivered.',
    ar: 'التسليم {id} في حالة {status}؛ لا يمكن تسليم إلا ما شُحن.',
  },
  'order.nothing_open': {
    en: 'Order {id} is {status}: it has nothing left to {action}.',
    ar: 'الطلب {id} في حالة {status}: لم يبق فيه شيء لـ {action}.',
  },
  'order.too_many': {
    en: 'Order {id} already has {limit} {what}, the most one order may have; ship or return the rest in one go.',
    ar: 'للطلب {id} بالفعل {limit} من {what}، وهو الحد الأقصى للطلب الواحد؛ اشحن أو أرجع الباقي دفعة واحدة.',
  },
  'return.exceeds_delivered': {
    en: 'Only {returnable} unit(s) of {sku} were delivered and not yet returned; {requested} asked. Nothing changed.',
    ar: 'لم يُسلَّم ولم يُرجَع من {sku} سوى {returnable} وحدة؛ طُلب {requested}. لم يتغير شيء.',
  },
  'field.exceeds_delivery': { en: 'exceeds the {pending} unit(s) of {sku} pending in the delivery', ar: 'يتجاوز {pending} وحدة معلقة من {sku} في التسليم' },
  'field.not_in_delivery': { en: 'SKU "{sku}" is not pending in this delivery', ar: 'الصنف "{sku}" غير معلق في هذا التسليم' },
  'field.not_delivered': { en: 'SKU "{sku}" was not delivered on this order', ar: 'الصنف "{sku}" لم يُسلَّم ضمن هذا الطلب' },
  'order.not_deletable': {
    en: 'Order {id} is {status}; only on_hold or cancelled orders can be deleted.',
    ar: 'الطلب {id} في حالة {status}؛ لا يمكن حذف إلا الطلبات المعلقة أو الملغاة.',
  },
  'field.money': { en: 'must be a decimal ≥ 0 with at most two decimal places', ar: 'يجب أن يكون رقمًا عشريًا ≥ 0 بخانتين عشريتين على الأكثر' },

  // events
  'event.consumer_not_running': {
    en: 'This service has no handler for consumer "{consumer}": its events cannot be retried here.',
    ar: 'لا تملك هذه الخدمة معالجًا للمستهلك "{consumer}": لا يمكن إعادة محاولة أحداثه هنا.',
  },
  'event.retry_failed': { en: 'The retry failed again: {error}', ar: 'فشلت إعادة المحاولة مرة أخرى: {error}' },

  // idempotency keys
  'idempotency.key_reused': {
    en: 'This Idempotency-Key was already used with a different request.',
    ar: 'استُخدم مفتاح Idempotency-Key هذا من قبل مع طلب مختلف.',
  },
  'idempotency.in_progress': {
    en: 'A request with this Idempotency-Key is still being processed; retry shortly.',
    ar: 'لا يزال طلب بمفتاح Idempotency-Key نفسه قيد المعالجة؛ أعد المحاولة بعد قليل.',
  },

  // validation (one message per field problem)
  'validation.failed': { en: 'The request has invalid fields.', ar: 'يحتوي الطلب على حقول غير صالحة.' },
  'field.required': { en: 'is required', ar: 'مطلوب' },
  'field.unknown': { en: 'is not a known field', ar: 'ليس حقلًا معروفًا' },
  'field.type': { en: 'must be of type {type}', ar: 'يجب أن يكون من النوع {type}' },
  'field.minimum': { en: 'must be at least {limit}', ar: 'يجب ألا يقل عن {limit}' },
  'field.maximum': { en: 'must be at most {limit}', ar: 'يجب ألا يزيد عن {limit}' },
  'field.exclusive_minimum': { en: 'must be greater than {limit}', ar: 'يجب أن يكون أكبر من {limit}' },
  'field.min_length': { en: 'must be at least {limit} characters long', ar: 'يجب ألا يقل طوله عن {limit} حرفًا' },
  'field.max_length': { en: 'must be at most {limit} characters long', ar: 'يجب ألا يزيد طوله عن {limit} حرفًا' },
  'field.min_items': { en: 'must have at least {limit} items', ar: 'يجب أن يحتوي على {limit} عنصر على الأقل' },
  'field.max_items': { en: 'must have at most {limit} items', ar: 'يجب ألا يحتوي على أكثر من {limit} عنصر' },
  'field.pattern': { en: 'has an invalid format', ar: 'صيغته غير صالحة' },
  'field.code_format': { en: 'must be 1–64 characters of A-Z a-z 0-9 . _ -', ar: 'يجب أن يتكون من 1 إلى 64 حرفًا من A-Z a-z 0-9 . _ -' },
  'field.format': { en: 'must be a valid {format}', ar: 'يجب أن يكون {format} صالحًا' },
  'field.enum': { en: 'must be one of: {values}', ar: 'يجب أن يكون أحد: {values}' },
  'field.invalid': { en: 'is invalid', ar: 'غير صالح' },
  'field.one_of': { en: 'must give exactly one of {fields}', ar: 'يجب تحديد واحد فقط من {fields}' },
  'field.unknown_reference': { en: '"{value}" names no existing {resource}', ar: '"{value}" لا يشير إلى {resource} موجود' },
  'field.reference_deleted': { en: 'names a {resource} that was deleted meanwhile', ar: 'يشير إلى {resource} حُذف في الأثناء' },
  'field.nul': { en: 'must not contain a NUL character', ar: 'يجب ألا يحتوي على محرف NUL' },
  'field.empty_patch': { en: 'must change at least one field', ar: 'يجب تغيير حقل واحد على الأقل' },
  'field.object_key': { en: 'is not a valid object key: {reason}', ar: 'ليس مفتاح كائن صالحًا: {reason}' },
  'field.file_missing': { en: 'must be a file part of the multipart body', ar: 'يجب أن يكون جزء ملف في محتوى multipart' },
  'field.webhook_url': { en: 'is not an allowed webhook URL: {reason}', ar: 'ليس عنوان webhook مسموحًا: {reason}' },
  'field.webhook_secret': { en: 'must be whsec_ followed by 24 to 64 bytes in base64', ar: 'يجب أن يكون whsec_ متبوعًا بـ 24 إلى 64 بايت بترميز base64' },
  'field.cursor': { en: 'is not a cursor returned by this list', ar: 'ليس مؤشرًا صادرًا عن هذه القائمة' },
} satisfies Record<string, Record<Language, string>>;

export type MessageCode = keyof typeof catalog;

export function translate(code: MessageCode, language: Language, params: Record<string, string | number> = {}): string {
  const template = catalog[code][language];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (params[name] === undefined ? whole : String(params[name])));
}

export function isMessageCode(code: string): code is MessageCode {
  return Object.hasOwn(catalog, code);
}

/** Picks the best supported language from an Accept-Language header (RFC 9110 q-values). */
export function pickLanguage(header: string | undefined): Language {
  if (!header) return 'en';
  let best: Language = 'en';
  let bestQ = -1;
  for (const part of header.split(',')) {
    const [tag = '', ...attrs] = part.trim().toLowerCase().split(';');
    const qAttr = attrs.map((a) => a.trim()).find((a) => a.startsWith('q='));
    const q = qAttr ? Number(qAttr.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    const primary = tag.split('-')[0];
    const language = (LANGUAGES as readonly string[]).includes(primary ?? '') ? (primary as Language) : undefined;
    if (language && q > bestQ) {
      best = language;
      bestQ = q;
    }
  }
  return best;
}
