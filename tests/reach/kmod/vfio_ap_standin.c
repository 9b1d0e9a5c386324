// SPDX-License-Identifier: GPL-2.0
/*
 * TEST-ONLY: a stand-in for KVM's attach of a VFIO group, for the vfio_ap
 * rig (tests/reach/README.md). Never part of a product patch series.
 *
 * Under TCG there is no SIE, so no KVM guest can run, and vfio_ap's group
 * notifier, its attach (vfio_ap_mdev_set_kvm) and its release path with a
 * struct kvm attached never run. On a real host, QEMU opens the mdev's VFIO
 * group, and KVM's kvm-vfio device hands the VM's struct kvm to the group
 * with vfio_group_get_external_user() + vfio_group_set_kvm(); when QEMU
 * opens the device, vfio_ap's group notifier receives the struct kvm and
 * writes the mdev's masks into the VM's CRYCB with
 * kvm_arch_crypto_set_masks().
 *
 * This module does what kvm-vfio does, through the same exported
 * functions, with a struct kvm that has NO vCPUs but holds what vfio_ap and
 * kvm_arch_crypto_set_masks()/clear_masks() touch: the CRYCB and its
 * designation (crycbd, format 2), the s390 debug feature kvm->arch.dbf
 * (VM_EVENT), kvm->lock and kvm->users_count. It is called everywhere "a
 * stand-in attach with no vCPUs", never a guest: nothing executes in it.
 *
 * /dev/vfio_ap_standin, one struct kvm per open file:
 *   STANDIN_ATTACH (arg: fd of an open VFIO group with a container and an
 *     IOMMU set): vfio_group_get_external_user() + vfio_group_set_kvm(kvm),
 *     under a per-file mutex, as kvm_vfio_set_group() does under kv->lock;
 *   STANDIN_DETACH: vfio_group_set_kvm(NULL) + vfio_group_put_external_user(),
 *     as KVM_DEV_VFIO_GROUP_DEL does;
 *   STANDIN_GET_STATE: the CRYCB masks, users_count, PQAP hook;
 *   STANDIN_TAPQ / STANDIN_NQAP: TAPQ of a queue / enqueue one request on
 *     it as a guest would, so that a later reset has something to clear.
 * Closing the file detaches; the struct kvm is freed only when no one else
 * holds a reference (else it is kept for good, with a message: vfio_ap
 * would otherwise put a reference to freed memory later).
 */
#define KMSG_COMPONENT "vfio_ap_standin"
#define pr_fmt(fmt) KMSG_COMPONENT ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>
#include <asm/ap.h>
#include <asm/debug.h>
#include <asm/kvm_host.h>

#include "standin_uapi.h"

struct standin {
	struct mutex lock;		/* like kvm-vfio's kv->lock */
	struct kvm *kvm;
	struct kvm_s390_crypto_cb *crycb;
	struct vfio_group *group;	/* attached group, or NULL */
	int id;
};

static atomic_t standin_ids = ATOMIC_INIT(0);

static struct kvm *standin_kvm_alloc(struct standin *s)
{
	char name[24];
	struct kvm *kvm;

	kvm = vzalloc(sizeof(*kvm));
	if (!kvm)
		return NULL;
	/* the CRYCB is addressed by a 31-bit designation, as in sie_page2 */
	s->crycb = kzalloc(sizeof(*s->crycb), GFP_KERNEL | GFP_DMA);
	if (!s->crycb)
		goto out_kvm;
	snprintf(name, sizeof(name), "standin-%d", s->id);
	kvm->arch.dbf = debug_register(name, 32, 1, 7 * sizeof(long));
	if (!kvm->arch.dbf)
		goto out_crycb;
	debug_register_view(kvm->arch.dbf, &debug_sprintf_view);
	mutex_init(&kvm->lock);
	refcount_set(&kvm->users_count, 1);
	atomic_set(&kvm->online_vcpus, 0);	/* no vCPUs, ever */
	kvm->arch.crypto.crycb = s->crycb;
	kvm->arch.crypto.crycbd = (__u32)(unsigned long)s->crycb | CRYCB_FORMAT2;
	return kvm;

out_crycb:
	kfree(s->crycb);
	s->crycb = NULL;
out_kvm:
	vfree(kvm);
	return NULL;
}

static void standin_kvm_free(struct standin *s)
{
	struct kvm *kvm = s->kvm;

	if (refcount_read(&kvm->users_count) != 1) {
		/* vfio_ap still holds it: never free, never let it reach 0 */
		pr_err("stand-in %d: struct kvm still referenced (users_count %u), kept\n",
		       s->id, refcount_read(&kvm->users_count));
		return;
	}
	debug_unregister(kvm->arch.dbf);
	kfree(s->crycb);
	vfree(kvm);
}

static int standin_open(struct inode *inode, struct file *file)
{
	struct standin *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	s->id = atomic_inc_return(&standin_ids);
	s->kvm = standin_kvm_alloc(s);
	if (!s->kvm) {
		kfree(s);
		return -ENOMEM;
	}
	file->private_data = s;
	return 0;
}

static int standin_attach(struct standin *s, int fd)
{
	struct vfio_group *group;
	struct fd f;
	int ret = 0;

	f = fdget(fd);
	if (!f.file)
		return -EBADF;
	mutex_lock(&s->lock);
	if (s->group) {
		ret = -EEXIST;
		goto out;
	}
	group = vfio_group_get_external_user(f.file);
	if (IS_ERR(group)) {
		ret = PTR_ERR(group);
		goto out;
	}
	s->group = group;
	vfio_group_set_kvm(group, s->kvm);
	pr_debug("stand-in %d: attached (no vCPUs)\n", s->id);
out:
	mutex_unlock(&s->lock);
	fdput(f);
	return ret;
}

static int standin_detach(struct standin *s)
{
	mutex_lock(&s->lock);
	if (!s->group) {
		mutex_unlock(&s->lock);
		return -ENOENT;
	}
	vfio_group_set_kvm(s->group, NULL);
	vfio_group_put_external_user(s->group);
	s->group = NULL;
	mutex_unlock(&s->lock);
	pr_debug("stand-in %d: detached\n", s->id);
	return 0;
}

static int standin_release(struct inode *inode, struct file *file)
{
	struct standin *s = file->private_data;

	standin_detach(s);
	standin_kvm_free(s);
	kfree(s);
	return 0;
}

static void standin_get_state(struct standin *s, struct standin_state *st)
{
	struct kvm *kvm = s->kvm;

	memset(st, 0, sizeof(*st));
	/* kvm->lock: the lock kvm_arch_crypto_set_masks() writes under */
	mutex_lock(&kvm->lock);
	memcpy(st->apm, s->crycb->apcb1.apm, sizeof(st->apm));
	memcpy(st->aqm, s->crycb->apcb1.aqm, sizeof(st->aqm));
	memcpy(st->adm, s->crycb->apcb1.adm, sizeof(st->adm));
	mutex_unlock(&kvm->lock);
	st->users = refcount_read(&kvm->users_count);
	st->pqap_hook = READ_ONCE(kvm->arch.crypto.pqap_hook) != NULL;
	st->crycbd = kvm->arch.crypto.crycbd;
	mutex_lock(&s->lock);
	st->attached = s->group != NULL;
	mutex_unlock(&s->lock);
}

static void standin_fill_queue(struct standin_queue *q,
			       struct ap_queue_status status)
{
	q->response_code = status.response_code;
	q->queue_empty = status.queue_empty;
	q->replies_waiting = status.replies_waiting;
	q->irq_enabled = status.irq_enabled;
}

static int standin_queue_op(unsigned int cmd, struct standin_queue *q)
{
	struct ap_queue_status status;
	void *msg;

	if (q->apqn > 0xffff)
		return -EINVAL;
	if (cmd == STANDIN_NQAP) {
		/* any request: the emulated adapter answers with an error reply */
		msg = kzalloc(PAGE_SIZE, GFP_KERNEL | GFP_DMA);
		if (!msg)
			return -ENOMEM;
		status = ap_nqap(q->apqn, 0x5354414e44494eULL, msg, 128);
		kfree(msg);
		if (status.response_code != 0) {	/* AP_RESPONSE_NORMAL */
			standin_fill_queue(q, status);
			return 0;
		}
	}
	status = ap_tapq(q->apqn, NULL);
	standin_fill_queue(q, status);
	return 0;
}

static long standin_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct standin *s = file->private_data;
	struct standin_state st;
	struct standin_queue q;
	int ret;

	switch (cmd) {
	case STANDIN_ATTACH:
		return standin_attach(s, (int)arg);
	case STANDIN_DETACH:
		return standin_detach(s);
	case STANDIN_GET_STATE:
		standin_get_state(s, &st);
		return copy_to_user((void __user *)arg, &st, sizeof(st)) ?
		       -EFAULT : 0;
	case STANDIN_TAPQ:
	case STANDIN_NQAP:
		if (copy_from_user(&q, (void __user *)arg, sizeof(q)))
			return -EFAULT;
		ret = standin_queue_op(cmd, &q);
		if (ret)
			return ret;
		return copy_to_user((void __user *)arg, &q, sizeof(q)) ?
		       -EFAULT : 0;
	}
	return -ENOTTY;
}

static const struct file_operations standin_fops = {
	.owner		= THIS_MODULE,
	.open		= standin_open,
	.release	= standin_release,
	.unlocked_ioctl	= standin_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice standin_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vfio_ap_standin",
	.fops	= &standin_fops,
	.mode	= 0600,
};

module_misc_device(standin_misc);
MODULE_DESCRIPTION("TEST-ONLY stand-in for KVM's attach of a VFIO group (no vCPUs)");
MODULE_LICENSE("GPL v2");
